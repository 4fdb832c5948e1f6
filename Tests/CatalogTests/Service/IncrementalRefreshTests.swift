import Foundation
import Ranking
import Testing

@testable import Catalog

/// A refresh reads only the parts whose stamps moved and shares the others with the snapshot
/// being served (the same arrays, not copies); what it builds answers exactly as a full load.
@Suite(.needsDatabase, .dropsDatabases) struct IncrementalRefreshTests {
    static let everything: Set<String> = ["items", "image_lists", "vectors", "coviews"]

    /// Whether two arrays are one buffer (shared), not merely equal.
    func shared<T>(_ a: [T], _ b: [T]) -> Bool {
        a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress } }
    }

    /// Every item's similar items, ids and scores, out of stock included.
    func answers(_ catalog: ServingCatalog) -> [String] {
        catalog.items.indices.map { i in
            let answer = catalog.similar(
                to: Int32(i), filter: ResultFilter(inStockOnly: false), config: BlendConfig(), offset: 0, limit: 10)
            return catalog.items[i].id + ": "
                + answer.results.map { "\(catalog.item($0.id).id) \($0.score)" }.joined(separator: ", ")
        }
    }

    func views(_ db: Database, _ sessions: [[String]]) throws {
        let now = Date()
        try ViewImporter(database: db).append(
            sessions.enumerated().flatMap { s, items in
                items.enumerated().map { ViewEvent(sessionID: "s\(s)-\(now)", itemID: $1, viewedAt: now) }
            })
    }

    @Test func aRefreshReadsWhatChangedSharesTheRestAndAnswersAsAFullLoad() throws {
        let db = try ServiceCatalog.make()
        try views(db, [["a1", "b1"], ["a1", "b1", "a3"], ["a2", "b2"]])
        _ = try CoViewBuild(database: db).run()
        let loader = ServingCatalogLoader(database: db, model: ServiceCatalog.model)
        let first = try loader.load()
        #expect(Set(first.partsRead.map(\.part)) == Self.everything)
        func refresh(_ from: ServingCatalogLoader.Loaded) throws -> ServingCatalogLoader.Loaded {
            try loader.load(reusing: (from.catalog, from.version))
        }

        let unchanged = try refresh(first)
        #expect(unchanged.partsRead.isEmpty && shared(unchanged.catalog.items, first.catalog.items))

        // New sessions and a co-view rebuild: only the co-views are read.
        try views(db, [["a2", "a3"], ["a2", "a3", "b2"], ["a2", "a3"]])
        _ = try CoViewBuild(database: db).run()
        let coviews = try refresh(unchanged)
        #expect(coviews.partsRead.map(\.part) == ["coviews"])
        #expect(shared(coviews.catalog.items, first.catalog.items))
        #expect(answers(coviews.catalog) != answers(first.catalog))
        #expect(answers(coviews.catalog) == answers(try loader.load().catalog))

        // An item goes out of stock: only the items are read; the lists are the served ones.
        try db.withConnection {
            try $0.execute("UPDATE items SET in_stock = false, updated_at = now() WHERE id = 'a2'")
        }
        let items = try refresh(coviews)
        #expect(items.partsRead.map(\.part) == ["items"])
        #expect(shared(items.catalog.evidence, coviews.catalog.evidence))
        #expect(items.catalog.item(try #require(items.catalog.index(of: "a2"))).facts.inStock == false)
        #expect(answers(items.catalog) == answers(try loader.load().catalog))

        // A new item moves the indices: everything is read.
        try ServiceCatalog.write([.init(id: "a0", category: "shoes", vector: [1, 0, 0.05])], to: db)
        _ = try NeighbourUpdate(database: db, model: ServiceCatalog.model).run()
        let grown = try refresh(items)
        #expect(Set(grown.partsRead.map(\.part)) == Self.everything)
        #expect(answers(grown.catalog) == answers(try loader.load().catalog))
        #expect(
            grown.catalog.search([1, 0, 0], filter: ResultFilter(inStockOnly: false), limit: 1).first.map {
                grown.catalog.item($0.index).id
            } == "a1")
    }

    /// The version moves with every committed item write, including one that commits after a later
    /// write and leaves `updated_at` alone (a scan of max(updated_at) and count(*) missed that), and
    /// folding the write log into its summary row does not move it.
    @Test func everyCommittedItemWriteMovesTheVersionAndFoldingDoesNot() throws {
        let db = try ServiceCatalog.make()
        let loader = ServingCatalogLoader(database: db, model: ServiceCatalog.model)
        let before = try loader.version()
        let (late, early) = try db.withConnection { a in
            try a.execute("BEGIN")
            try a.execute("UPDATE items SET in_stock = false WHERE id = 'a1'")
            try db.withConnection { b in
                _ = try b.execute("UPDATE items SET in_stock = false, updated_at = now() WHERE id = 'b1'")
            }
            let early = try loader.version()
            try a.execute("COMMIT")
            return (try loader.version(), early)
        }
        #expect(early != before && late != early && late.itemsUpdated == early.itemsUpdated)
        let loaded = try loader.load()
        #expect(loaded.catalog.item(try #require(loaded.catalog.index(of: "a1"))).facts.inStock == false)

        // Written an hour ago, as far as the log knows: folded.
        try db.withConnection { _ = try $0.execute("UPDATE item_writes SET at = at - interval '1 hour'") }
        let old = try loader.version()
        try db.withConnection {
            _ = try $0.execute("SELECT fold_item_writes()")
            #expect(try $0.query("SELECT count(*) AS n FROM item_writes")[0].int("n") == 0)
        }
        #expect(try loader.version() == old && old.itemWrites == late.itemWrites)
    }
}
