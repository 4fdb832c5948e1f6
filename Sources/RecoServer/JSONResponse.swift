import Catalog
import Hummingbird

/// JSON answers and errors: every error body is `{"error": "..."}`.
enum JSONResponse {
    static func ok(_ json: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        ok(ByteBuffer(string: json), status: status, headers: headers)
    }

    static func ok(_ json: ByteBuffer, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: json))
    }

    /// A `Codable` answer (snake_case keys).
    static func encoded(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        ok(JSON.encode(value), status: status)
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
        ok(JSON.object([("error", JSON.string(message))]), status: status, headers: headers)
    }

    /// 503 with a hint when to retry.
    static func unavailable(_ message: String, retryAfter seconds: Int = 5) -> Response {
        error(.serviceUnavailable, message, headers: [.retryAfter: "\(seconds)"])
    }
}
