import Foundation
import Ranking
import Testing

@testable import Catalog

@Suite(.needsDatabase, .dropsDatabases) struct NeighbourBuildTests {
    @Test func rebuildStoresEachActiveItemsExactNeighbours() throws {
        let db = try TestDatabase.makeMigrated()
        let catalog = try TestCatalog(count: 8)
        _ = try CatalogImporter(database: db).run(path: catalog.csvURL.path)
        var options = EmbeddingJobOptions()
        options.batchSize = 4
        _ = try EmbeddingJob(database: db, embedder: TestCatalog.embedder, options: options).run()
        try db.withConnection { try $0.execute("UPDATE items SET active = false WHERE id = 'item007'") }
        let model = TestCatalog.embedder.modelIdentifier
        var build = NeighbourBuild(database: db, model: model)
        build.k = 3
        let summary = try build.run()
        #expect(summary.items == 7 && summary.k == 3)

        // Expected: the same computation on the vectors read back.
        let stored = try vectors(db, model: model).filter { $0.key != "item007" }
        let ids = stored.keys.sorted()
        let expected = ExactNeighbours.compute(VectorMatrix(rows: ids.map { stored[$0]! }), k: 3)
        let lists = try storedLists(db, model: model)
        #expect(lists.count == 7)
        for (i, id) in ids.enumerated() {
            let mine = try #require(lists[id])
            #expect(mine.map(\.id) == expected[i].map { ids[Int($0.index)] })
            #expect(!mine.contains { $0.id == "item007" || $0.id == id })
        }
        // Copies of the same photo are each other's best neighbour (cosine 1).
        let best = try #require(lists["item000"]?.first)
        #expect(best.id == "item006" && best.score > 0.9999)
        // A rebuild replaces the rows rather than adding to them.
        _ = try build.run()
        #expect(
            try db.withConnection { try $0.query("SELECT count(*) AS n FROM image_neighbours").first!.int("n") } == 7)
        // Above the size limit the build is approximate; 7 vectors make 7 cells, all probed, so the
        // lists are the exact ones still (recall itself is measured in RankingTests and the benches).
        build.exactUpTo = 5
        _ = try build.run()
        #expect(try storedLists(db, model: model).mapValues { $0.map(\.id) } == lists.mapValues { $0.map(\.id) })
    }

    /// The incremental update after some vectors changed and an item arrived leaves exactly the
    /// lists a full rebuild would, rewriting only some of them.
    @Test func incrementalUpdateEqualsAFullRebuild() throws {
        let db = try TestDatabase.makeMigrated()
        var state: UInt64 = 11
        func vector() -> [Float] {
            (0..<6).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float((state >> 33) % 1000) / 1000
            }
        }
        let items = (0..<40).map {
            ServiceCatalog.Item(id: String(format: "v%02d", $0), category: "c", vector: vector())
        }
        try ServiceCatalog.write(items, to: db)
        // No lists yet for the model (a new model): the update runs the full rebuild.
        var first = NeighbourUpdate(database: db, model: ServiceCatalog.model)
        first.k = 4
        let initial = try first.run()
        #expect(initial.full && initial.items == 40)
        var build = NeighbourBuild(database: db, model: ServiceCatalog.model)
        build.k = 4
        try ServiceCatalog.write(
            [
                .init(id: "v03", category: "c", vector: vector()), .init(id: "v17", category: "c", vector: vector()),
                .init(id: "v40", category: "c", vector: vector()),
            ], to: db)
        var update = NeighbourUpdate(database: db, model: ServiceCatalog.model)
        update.overlap = 0
        let summary = try update.run()
        #expect(summary.changed == 3 && !summary.full && summary.items == 41)
        #expect(summary.rewritten >= 3 && summary.rewritten < 41)
        func lists() throws -> [String] {
            try storedLists(db, model: ServiceCatalog.model).sorted { $0.key < $1.key }.flatMap { item, list in
                list.map { "\(item) \($0.id) \(String(format: "%.5f", $0.score))" }
            }
        }
        let incremental = try lists()
        #expect(incremental.count == 41 * 4)
        #expect(try update.run().changed == 0)  // nothing new since
        _ = try build.run()
        #expect(try lists() == incremental)

        // Above the size limit the update is approximate: 41 vectors make 6 cells, all 8 probes
        // reach every one, so the lists are still exactly a rebuild's (recall with fewer probes
        // is measured in RankingTests and the benches).
        try ServiceCatalog.write(
            [.init(id: "v05", category: "c", vector: vector()), .init(id: "v41", category: "c", vector: vector())],
            to: db)
        update.exactUpTo = 10
        let approximate = try update.run()
        #expect(approximate.approximate && !approximate.full && approximate.changed == 2)
        let probed = try lists()
        _ = try build.run()
        #expect(try lists() == probed)
    }
}

/// The stored image-neighbour lists of a model, by item.
func storedLists(_ db: Database, model: String) throws -> [String: [(id: String, score: Float)]] {
    try db.withConnection { c in
        var lists: [String: [(id: String, score: Float)]] = [:]
        for row in try c.query(
            "SELECT item_id, neighbour_ids, scores FROM image_neighbours WHERE model = $1", [.text(model)])
        {
            lists[try row.string("item_id")] = Array(
                zip(try row.strings("neighbour_ids"), try VectorCodec.decode(row.bytes("scores")))
            ).map { (id: $0.0, score: $0.1) }
        }
        return lists
    }
}
