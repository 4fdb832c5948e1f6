import Catalog
import Embedding
import Foundation
import Hummingbird
import NIOPosix

/// `GET /images/{id}`: the item's catalog image, for the pages. Local files are read off the
/// event loop and sent with their sniffed content type, an ETag (the image's content hash
/// recorded when it was embedded) and an hour of caching; an http(s) image is a redirect.
struct ImageRoute: Sendable {
    let state: ServingState
    /// Local images outside it are never served.
    let root: ImageRoot?
    static let cacheControl = "public, max-age=3600"

    func handle(_ request: Request, context: some RequestContext) async throws -> Response {
        guard let id = ItemPath.id(context.parameters), let snapshot = state.snapshot,
            let index = snapshot.catalog.index(of: id)
        else {
            return JSONResponse.error(.notFound, "no such item")
        }
        let item = snapshot.catalog.item(index)
        guard let uri = item.imageURI else { return JSONResponse.error(.notFound, "item '\(id)' has no image") }
        if uri.hasPrefix("http://") || uri.hasPrefix("https://") {
            return Response(status: .found, headers: [.location: uri, .cacheControl: Self.cacheControl])
        }
        let etag = item.facts.imageHash.map { "\"" + $0.prefix(16).map { String(format: "%02x", $0) }.joined() + "\"" }
        if let etag, request.headers[.ifNoneMatch] == etag {
            return Response(status: .notModified, headers: [.eTag: etag, .cacheControl: Self.cacheControl])
        }
        let path = uri.hasPrefix("file://") ? URL(string: uri)?.path ?? uri : uri
        if let root, !root.admits(path) {
            return JSONResponse.error(.notFound, "the image of item '\(id)' is not served")
        }
        guard
            let data = try? await NIOThreadPool.singleton.runIfActive({
                try Data(contentsOf: URL(fileURLWithPath: path))
            })
        else {
            return JSONResponse.error(.notFound, "the image of item '\(id)' cannot be read")
        }
        guard let type = ImageContentType.of(data) else {
            return JSONResponse.error(.unsupportedMediaType, "the image of item '\(id)' is not a JPEG or PNG")
        }
        var headers: HTTPFields = [.contentType: type, .cacheControl: Self.cacheControl]
        if let etag { headers[.eTag] = etag }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
