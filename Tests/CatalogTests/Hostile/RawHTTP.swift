import Foundation

/// A bare TCP client for what URLSession will not send: TRACE, oversized headers, half-sent
/// requests, idle connections.
final class RawHTTP {
    private let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            throw TestFailure("cannot connect to 127.0.0.1:\(port)")
        }
    }

    deinit { close(fd) }

    func send(_ text: String) { send(Data(text.utf8)) }

    func send(_ data: Data) {
        data.withUnsafeBytes { p in _ = Foundation.send(fd, p.baseAddress, p.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads until the server closes the connection or `seconds` pass: what arrived, and whether it closed.
    func readUntilClosed(within seconds: Double) -> (data: Data, closed: Bool) {
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received = Data()
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while Date() < deadline {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return (received, true) }
            if n > 0 { received.append(contentsOf: buffer[0..<n]) }
            if n < 0 && errno != EAGAIN && errno != EWOULDBLOCK { return (received, true) }
        }
        return (received, false)
    }

    /// One request on a fresh connection (`Connection: close`): the status line, headers and body.
    static func exchange(port: Int, _ request: String) throws -> (status: Int, head: String, body: String) {
        let client = try RawHTTP(port: port)
        client.send(request)
        let (data, _) = client.readUntilClosed(within: 5)
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let status = Int(parts[0].split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, parts[0], parts.dropFirst().joined(separator: "\r\n\r\n"))
    }
}
