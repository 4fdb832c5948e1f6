import Foundation
import Hummingbird
import Mustache

/// The server-rendered pages' templates (Resources/templates, Mustache; values are HTML-escaped),
/// compiled into the binary.
struct HTMLPages: Sendable {
    let library: MustacheLibrary

    static func load() throws -> HTMLPages {
        var library = MustacheLibrary()
        for (path, text) in EmbeddedFiles.text where path.hasPrefix("templates/") && path.hasSuffix(".mustache") {
            try library.register(text, named: String(path.dropFirst("templates/".count).dropLast(".mustache".count)))
        }
        return HTMLPages(library: library)
    }

    func render(_ template: String, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let html =
            library.render(values, withTemplate: template) ?? "<!doctype html><p>template \(template) is missing</p>"
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// An error page with its status.
    func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        render("search", ["title": "\(status.code)", "error": message, "results": [Any]()], status: status)
    }
}
