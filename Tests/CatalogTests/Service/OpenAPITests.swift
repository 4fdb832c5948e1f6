import Foundation
import Testing

/// The OpenAPI document in the repository is what the service serves, and every operation it
/// describes answers with one of the statuses it documents.
@Suite(.needsDatabase, .dropsDatabases) struct OpenAPITests {
    static let specURL = TestCatalog.projectRoot.appendingPathComponent("Sources/RecoServer/Resources/openapi.yaml")

    /// (path, method, documented statuses), read from the `paths:` section's fixed layout.
    static func operations(_ yaml: String) -> [(path: String, method: String, statuses: Set<Int>)] {
        var result: [(String, String, Set<Int>)] = []
        var inPaths = false
        var path = ""
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") {
                inPaths = line == "paths:"
                continue
            }
            guard inPaths else { continue }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let indent = line.prefix { $0 == " " }.count
            if indent == 2, trimmed.hasSuffix(":") {
                path = String(trimmed.dropLast())
            } else if indent == 4, ["get:", "post:", "put:", "delete:"].contains(trimmed) {
                result.append((path, String(trimmed.dropLast()), []))
            } else if indent == 8, trimmed.hasPrefix("\""), let code = Int(trimmed.dropFirst().prefix(3)) {
                result[result.count - 1].2.insert(code)
            }
        }
        return result
    }

    @Test func theServedDocumentIsTheRepositoryOneAndEveryOperationAnswersAsDocumented() async throws {
        let spec = try String(contentsOf: Self.specURL, encoding: .utf8)
        let operations = Self.operations(spec)
        #expect(
            Set(operations.map { "\($0.method) \($0.path)" }) == [
                "get /items/{id}/similar", "post /events/views", "post /search/image", "get /healthz", "get /readyz",
                "get /metrics", "get /openapi.yaml",
                "get /", "get /items/{id}", "post /search", "get /images/{id}",
            ])
        #expect(operations.allSatisfy { $0.statuses.contains(200) || $0.statuses.contains(202) })
        // A JSON body is not a photo: /search/image and /search answer 415, which they document.

        let db = try ServiceCatalog.make()
        let service = try await ServiceProcess(databaseURL: db.url)
        _ = try await service.eventually("/readyz") { $0.status == 200 }
        #expect(try await service.get("/openapi.yaml").text == spec)
        for op in operations {
            let path = op.path.replacingOccurrences(of: "{id}", with: "a1")
            let reply =
                op.method == "post"
                ? try await service.request(
                    path, method: "POST", body: ServiceCatalog.viewsJSON([("s", ["a1"])]),
                    headers: ["Content-Type": "application/json"])
                : try await service.get(path)
            #expect(op.statuses.contains(reply.status), "\(op.method) \(path) answered \(reply.status)")
        }
        #expect(service.stop() == 0)
    }
}
