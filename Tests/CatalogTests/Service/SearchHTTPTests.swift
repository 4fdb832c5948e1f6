import Foundation
import Testing
@testable import Catalog

/// `POST /search/image` over HTTP, on a catalog of the fixture photos embedded by the real job.
@Suite(.serialized) struct SearchHTTPTests {
    static let query = TestCatalog.projectRoot.appendingPathComponent("Tests/EmbeddingTests/Fixtures/astronaut_query.jpg")

    func catalog() throws -> Database {
        let db = try TestDatabase.makeMigrated()
        let catalog = try TestCatalog(count: 6)  // item003 is astronaut.jpg
        _ = try CatalogImporter(database: db).run(path: catalog.csvURL.path)
        _ = try EmbeddingJob(database: db, embedder: TestCatalog.embedder).run()
        _ = try NeighbourBuild(database: db, model: TestCatalog.embedder.modelIdentifier).run()
        return db
    }

    @Test func aPhotoFindsItsItemAndEveryErrorHasItsStatus() async throws {
        let db = try catalog()
        let service = try ServiceProcess(databaseURL: db.url, arguments: ["--max-image-bytes", "200000"])
        _ = try await service.eventually("/readyz") { $0.status == 200 }
        let photo = try Data(contentsOf: Self.query)
        let found = try await service.request("/search/image?limit=3", method: "POST", body: photo, headers: ["Content-Type": "image/jpeg"])
        #expect(found.status == 200, "\(found.text)")
        let body = try found.json()
        #expect(body["model"] as? String == TestCatalog.embedder.modelIdentifier)
        let results = try #require(body["results"] as? [[String: Any]])
        #expect(results.count == 3 && results.first?["item_id"] as? String == "item003")
        let category = try await service.request("/search/image?category=cats", method: "POST", body: photo, headers: ["Content-Type": "image/jpeg"])
        #expect(try #require(try category.json()["results"] as? [[String: Any]]).allSatisfy { ["item000", "item003"].contains($0["item_id"] as? String) })

        #expect(try await service.request("/search/image", method: "POST", body: photo, headers: ["Content-Type": "text/plain"]).status == 415)
        let broken = try await service.request("/search/image", method: "POST", body: Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 1]), headers: ["Content-Type": "image/jpeg"])
        #expect(broken.status == 422)
        #expect((try broken.json()["error"] as? String)?.contains("cannot be decoded") == true)
        #expect(try await service.request("/search/image", method: "POST", body: Data(count: 300_000), headers: ["Content-Type": "image/png"]).status == 413)
        let bad = try await service.request("/search/image?limit=0", method: "POST", body: photo, headers: ["Content-Type": "image/jpeg"])
        #expect(bad.status == 400)
        #expect((try bad.json()["error"] as? String)?.contains("limit") == true)
        // /similar answers while searches run.
        #expect(try await service.get("/items/item003/similar").status == 200)
        #expect(service.stop() == 0)
    }

    @Test func beyondTheQueueSearchesAreRefusedWithRetryAfter() async throws {
        let db = try catalog()
        let service = try ServiceProcess(databaseURL: db.url, arguments: ["--search-concurrency", "1", "--search-queue", "0"])
        _ = try await service.eventually("/readyz") { $0.status == 200 }
        let photo = try Data(contentsOf: Self.query)
        let replies = try await withThrowingTaskGroup(of: ServiceProcess.Reply.self) { group in
            for _ in 0..<8 {
                group.addTask { try await service.request("/search/image", method: "POST", body: photo, headers: ["Content-Type": "image/jpeg"]) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let refused = replies.filter { $0.status == 503 }
        #expect(replies.contains { $0.status == 200 })
        #expect(!refused.isEmpty && refused.allSatisfy { $0.headers["retry-after"] != nil })
        #expect(replies.allSatisfy { $0.status == 200 || $0.status == 503 })
        #expect(service.stop() == 0)
    }
}
