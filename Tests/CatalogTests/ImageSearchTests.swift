import Embedding
import Foundation
import Testing

@testable import Catalog

@Suite(.needsDatabase, .dropsDatabases) struct ImageSearchTests {
    /// A catalog photo resized to 60 %, cropped by 10 % and re-encoded at JPEG quality 70
    /// (Fixtures/make_fixtures.py) finds its own item first.
    @Test func aReEncodedCatalogPhotoFindsItsOwnItemFirst() throws {
        let db = try TestDatabase.makeMigrated()
        let catalog = try TestCatalog(count: 6)  // item003 is astronaut.jpg
        _ = try CatalogImporter(database: db).run(path: catalog.csvURL.path)
        _ = try EmbeddingJob(database: db, embedder: TestCatalog.embedder).run()
        let search = ImageSearch(database: db, embedder: TestCatalog.embedder)
        let query = try Data(
            contentsOf: TestCatalog.projectRoot.appendingPathComponent(
                "Tests/EmbeddingTests/Fixtures/astronaut_query.jpg"))
        let results = try search.search(query, limit: 3)
        #expect(results.map(\.itemID).first == "item003")
        #expect(results.count == 3 && results[0].score > 0.8 && results[0].score > results[1].score)
        // An undecodable photo is a clear, typed error.
        #expect(throws: ImageError.self) { try search.search(Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 1]), limit: 3) }
    }
}
