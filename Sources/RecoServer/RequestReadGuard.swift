import Catalog
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Per connection, between HTTP parsing and Hummingbird: cuts off a request whose body does not
/// arrive in time (a slow client holding a connection and a body buffer), and answers requests the
/// parser refuses with a JSON error (431 for headers over the limit, 400 otherwise) instead of an
/// empty 400. Hummingbird's idle timeout bounds the time to a complete request head.
final class RequestReadGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let bodyTimeout: TimeAmount
    private var bodyDeadline: Scheduled<Void>?
    /// A request head was read and its response is not finished.
    private var inRequest = false

    init(bodyTimeout: TimeAmount) { self.bodyTimeout = bodyTimeout }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            inRequest = true
            let channel = context.channel
            bodyDeadline = context.eventLoop.scheduleTask(in: bodyTimeout) { channel.close(promise: nil) }
        case .body:
            break
        case .end:
            bodyDeadline?.cancel()
            bodyDeadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { inRequest = false }
        context.write(data, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        bodyDeadline?.cancel()
        bodyDeadline = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parse = error as? HTTPParserError, !inRequest else {
            context.fireErrorCaught(error)
            return
        }
        let (status, message): (HTTPResponse.Status, String) =
            switch parse {
            case .headerOverflow:
                (.init(code: 431, reasonPhrase: "Request Header Fields Too Large"), "the request headers are too large")
            default: (.badRequest, "the request is not valid HTTP/1.1")
            }
        let body = ByteBuffer(string: JSON.object([("error", JSON.string(message))]))
        let head = HTTPResponse(
            status: status,
            headerFields: [
                .contentType: "application/json; charset=utf-8", .contentLength: "\(body.readableBytes)",
                .connection: "close",
            ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
