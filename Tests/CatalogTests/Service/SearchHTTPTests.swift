import Foundation
import Testing

@testable import Catalog

/// `POST /search/image` over HTTP, on a catalog of the fixture photos embedded by the real job.
@Suite(.serialized, .needsDatabase, .dropsDatabases) struct SearchHTTPTests {
    static let query = TestCatalog.projectRoot.appendingPathComponent(
        "Tests/EmbeddingTests/Fixtures/astronaut_query.jpg")

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
        let service = try await ServiceProcess(databaseURL: db.url, arguments: ["--max-image-bytes", "200000"])
        _ = try await service.eventually("/readyz") { $0.status == 200 }
        let photo = try Data(contentsOf: Self.query)
        let found = try await service.request(
            "/search/image?limit=3", method: "POST", body: photo, headers: ["Content-Type": "image/jpeg"])
        #expect(found.status == 200, "\(found.text)")
        let body = try found.json()
        #expect(body["model"] as? String == TestCatalog.embedder.modelIdentifier)
        let results = try #require(body["results"] as? [[String: Any]])
        #expect(results.count == 3 && results.first?["item_id"] as? String == "item003")
        #expect(body["close_match"] as? Bool == true)
        // The scores are exact cosines (re-ranked from the stored float32 vectors), not the
        // snapshot's int8 approximations (about 1e-3 off).
        let query = try TestCatalog.embedder.embed(photo).vector
        let stored = try vectors(db, model: TestCatalog.embedder.modelIdentifier)
        for result in results {
            let id = try #require(result["item_id"] as? String)
            let exact = zip(try #require(stored[id]), query).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            let served = try #require((result["score"] as? NSNumber)?.floatValue)
            #expect(abs(served - exact) < 2e-5, "\(id): served \(served), exact \(exact)")
        }
        let squares = TestCatalog.projectRoot.appendingPathComponent("Tests/EmbeddingTests/Fixtures/quadrants.png")
        let far = try await service.request(
            "/search/image?limit=3", method: "POST", body: try Data(contentsOf: squares),
            headers: ["Content-Type": "image/png"])
        let farBody = try far.json()
        #expect(far.status == 200 && farBody["close_match"] as? Bool == false)
        #expect((farBody["results"] as? [[String: Any]])?.count == 3)
        let category = try await service.request(
            "/search/image?category=cats", method: "POST", body: photo, headers: ["Content-Type": "image/jpeg"])
        #expect(
            try #require(try category.json()["results"] as? [[String: Any]]).allSatisfy {
                ["item000", "item003"].contains($0["item_id"] as? String)
            })

        #expect(
            try await service.request(
                "/search/image", method: "POST", body: photo, headers: ["Content-Type": "text/plain"]
            ).status == 415)
        let broken = try await service.request(
            "/search/image", method: "POST", body: Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 1]),
            headers: ["Content-Type": "image/jpeg"])
        #expect(broken.status == 422)
        #expect((try broken.json()["error"] as? String)?.contains("cannot be decoded") == true)
        #expect(
            try await service.request(
                "/search/image", method: "POST", body: Data(count: 300_000), headers: ["Content-Type": "image/png"]
            ).status == 413)
        let bad = try await service.request(
            "/search/image?limit=0", method: "POST", body: photo, headers: ["Content-Type": "image/jpeg"])
        #expect(bad.status == 400)
        #expect((try bad.json()["error"] as? String)?.contains("limit") == true)
        // /similar answers while searches run.
        #expect(try await service.get("/items/item003/similar").status == 200)
        #expect(service.stop() == 0)
    }

    @Test func beyondTheQueueSearchesAreRefusedWithRetryAfter() async throws {
        let db = try catalog()
        let service = try await ServiceProcess(
            databaseURL: db.url, arguments: ["--search-concurrency", "1", "--search-queue", "0"])
        _ = try await service.eventually("/readyz") { $0.status == 200 }
        let photo = try Data(contentsOf: Self.query)
        let replies = try await withThrowingTaskGroup(of: ServiceProcess.Reply.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await service.request(
                        "/search/image", method: "POST", body: photo, headers: ["Content-Type": "image/jpeg"])
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let refused = replies.filter { $0.status == 503 }
        #expect(replies.contains { $0.status == 200 })
        #expect(!refused.isEmpty && refused.allSatisfy { $0.headers["retry-after"] != nil })
        #expect(replies.allSatisfy { $0.status == 200 || $0.status == 503 })
        #expect(service.stop() == 0)
    }

    /// A browser form: multipart/form-data with the photo in a file field.
    static func form(
        _ file: Data, name: String = "image", filename: String? = "photo.jpg", type: String = "image/jpeg",
        boundary: String = "reco-test-boundary"
    ) -> (Data, [String: String]) {
        var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"limit-note\"\r\n\r\nignored\r\n".utf8)
        let disposition = "form-data; name=\"\(name)\"" + (filename.map { "; filename=\"\($0)\"" } ?? "")
        body += Data("--\(boundary)\r\nContent-Disposition: \(disposition)\r\nContent-Type: \(type)\r\n\r\n".utf8)
        body += file + Data("\r\n--\(boundary)--\r\n".utf8)
        return (body, ["Content-Type": "multipart/form-data; boundary=\(boundary)"])
    }

    @Test func aFormUploadFindsItsItemAndBadFormsAreRefused() async throws {
        let db = try catalog()
        let service = try await ServiceProcess(databaseURL: db.url)
        _ = try await service.eventually("/readyz") { $0.status == 200 }
        let photo = try Data(contentsOf: Self.query)
        let (body, headers) = Self.form(photo)
        let found = try await service.request("/search/image?limit=2", method: "POST", body: body, headers: headers)
        #expect(found.status == 200, "\(found.text)")
        #expect(try #require(try found.json()["results"] as? [[String: Any]]).first?["item_id"] as? String == "item003")
        // A field named `image` without a file name is taken too (curl -F image=@… always sends one;
        // scripts may not).
        let (unnamed, unnamedHeaders) = Self.form(photo, filename: nil)
        #expect(
            try await service.request("/search/image", method: "POST", body: unnamed, headers: unnamedHeaders).status
                == 200)

        let (gif, gifHeaders) = Self.form(Data("GIF89a".utf8), type: "image/gif")
        let refusedGIF = try await service.request("/search/image", method: "POST", body: gif, headers: gifHeaders)
        #expect(refusedGIF.status == 415 && refusedGIF.text.contains("image/gif"))
        let (noFile, noFileHeaders) = Self.form(photo, name: "note", filename: nil)
        let refusedForm = try await service.request(
            "/search/image", method: "POST", body: noFile, headers: noFileHeaders)
        #expect(refusedForm.status == 400 && refusedForm.text.contains("no file field"))
        let (empty, emptyHeaders) = Self.form(Data())
        #expect(
            try await service.request("/search/image", method: "POST", body: empty, headers: emptyHeaders).status == 400
        )
        #expect(
            try await service.request(
                "/search/image", method: "POST", body: body, headers: ["Content-Type": "multipart/form-data"]
            ).status == 400)
        let (garbage, garbageHeaders) = Self.form(Data("not an image".utf8), type: "application/octet-stream")
        #expect(
            try await service.request("/search/image", method: "POST", body: garbage, headers: garbageHeaders).status
                == 422)
        #expect(service.stop() == 0)
    }

    /// Searches that run while the service swaps snapshots each see one whole snapshot: every
    /// answer is exactly the answer of the catalog before or after a change, never a mix.
    @Test func searchesDuringRefreshesSeeOneConsistentSnapshot() async throws {
        let db = try catalog()
        let service = try await ServiceProcess(databaseURL: db.url, arguments: ["--refresh-seconds", "0.05"])
        _ = try await service.eventually("/readyz") { $0.status == 200 }
        let photo = try Data(contentsOf: Self.query)
        func answer() async throws -> String {
            let reply = try await service.request(
                "/search/image?limit=100", method: "POST", body: photo, headers: ["Content-Type": "image/jpeg"])
            #expect(reply.status == 200)
            return reply.text
        }
        func setHalfOutOfStock(_ out: Bool) throws {
            _ = try db.withConnection {
                try $0.execute(
                    "UPDATE items SET in_stock = $1, updated_at = now() WHERE id IN ('item000', 'item002', 'item003')",
                    [.bool(!out)])
            }
        }
        let whole = try await answer()
        try setHalfOutOfStock(true)
        let half = try await service.eventually(
            "/search/image?limit=100", method: "POST", body: photo,
            headers: ["Content-Type": "image/jpeg"]
        ) { $0.text != whole }.text
        #expect(!half.contains("item003"))

        let seen = try await withThrowingTaskGroup(of: [String].self) { group in
            group.addTask {
                for round in 0..<16 {
                    try setHalfOutOfStock(round % 2 == 1)
                    try await Task.sleep(for: .milliseconds(120))
                }
                return []
            }
            for _ in 0..<2 {
                group.addTask {
                    var answers: [String] = []
                    for _ in 0..<40 { answers.append(try await answer()) }
                    return answers
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(seen.allSatisfy { $0 == whole || $0 == half }, "\(Set(seen).subtracting([whole, half]))")
        #expect(seen.contains(whole) && seen.contains(half))
        #expect(service.stop() == 0)
    }
}
