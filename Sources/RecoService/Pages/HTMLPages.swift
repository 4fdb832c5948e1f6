import Foundation
import Hummingbird
import Mustache

/// The server-rendered pages' templates (Resources/templates, Mustache; values are HTML-escaped).
struct HTMLPages: Sendable {
    let library: MustacheLibrary

    static func load() async throws -> HTMLPages {
        guard let dir = Bundle.module.url(forResource: "templates", withExtension: nil, subdirectory: "Resources")
        else {
            throw PageError("the page templates are missing from the bundle")
        }
        return HTMLPages(library: try await MustacheLibrary(directory: dir.path))
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

struct PageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
