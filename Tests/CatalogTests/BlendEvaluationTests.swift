import Foundation
import Ranking
import Testing

@testable import Catalog
@testable import Evaluation

/// `reco eval`'s pipeline on the hand-placed catalog and a tiny log whose answers are worked out
/// by hand (image lists from the 3-d vectors; co-views from the two earlier sessions).
@Suite(.serialized, .needsDatabase, .dropsDatabases) struct BlendEvaluationTests {
    @Test func aTinyLogGivesTheHandComputedMetrics() throws {
        let db = try ServiceCatalog.make()
        let now = Date()
        let old = now.addingTimeInterval(-10 * 86_400)
        // Earlier: a4 and b1 viewed together twice (min support 2). Held out: a1 → a4 → b1 → b2.
        let events = [
            ("t1", "a4", old), ("t1", "b1", old + 1), ("t2", "a4", old + 5), ("t2", "b1", old + 6),
            ("h", "a1", now), ("h", "a4", now + 1), ("h", "b1", now + 2), ("h", "b2", now + 3),
        ]
        try ViewImporter(database: db).append(events.map { ViewEvent(sessionID: $0.0, itemID: $0.1, viewedAt: $0.2) })
        var evaluation = BlendEvaluation(database: db)
        evaluation.k = 1
        evaluation.imageWeights = [0, 1]
        evaluation.methods = [.cosine]
        let report = try evaluation.run()
        #expect(report.trainEvents == 4 && report.heldOutEvents == 4)
        let image = try #require(report.rows.first { $0.kind == "image only" }).metrics
        // Image top 1: a1 → a4 (hit), a4 → a1 (miss: b1), b1 → b2 (hit).
        #expect(image.pairs == 3 && abs(image.hitRate - 2.0 / 3) < 1e-12 && abs(image.mrr - 2.0 / 3) < 1e-12)
        #expect(abs(image.coverage - 3.0 / 7) < 1e-12)  // {a4, a1, b2} of 7 active items
        let coview = try #require(report.rows.first { $0.kind == "co-view only" }).metrics
        // Co-view top 1: a4 → b1 (hit), b1 → a4 (miss: b2); a1 has no co-views → the popular shoe a4 (hit).
        #expect(abs(coview.hitRate - 2.0 / 3) < 1e-12)
        // Image neighbours' top 1 share the item's category except for a6 (no vector, no list).
        #expect(report.categoryPrecision == 1)
        // Label precision of the served lists: image top 1 is always the own category; co-view only
        // answers a4 → b1 (bags ≠ shoes) and b1 → a4, the other items get their category's popular item.
        #expect(report.labels == ["category"])
        #expect(try #require(report.rows.first { $0.kind == "image only" }).labelPrecision["category"] == 1)
        let coviewPrecision = try #require(
            report.rows.first { $0.kind == "co-view only" && $0.pairK == 0 }.flatMap {
                $0.labelPrecision["category"]
            })
        #expect(coviewPrecision < 1)
        #expect(report.rows.contains { $0.pairK == BlendConfig().pairK })
    }
}
