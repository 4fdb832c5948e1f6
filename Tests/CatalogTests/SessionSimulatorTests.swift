import Foundation
import Testing

@testable import Catalog
@testable import Demo

@Suite(.needsDatabase, .dropsDatabases) struct SessionSimulatorTests {
    /// 40 items in 4 categories; each item's "visually similar" items are the next three of its category.
    static let items: [SessionSimulator.Item] = (0..<40).map { i in
        let c = i % 4
        return SessionSimulator.Item(id: "i\(i)", category: "c\(c)", similar: (1...3).map { (i + 4 * $0) % 40 })
    }

    func simulate(seed: UInt64) -> [ViewEvent] {
        var s = SessionSimulator()
        s.sessions = 400
        s.seed = seed
        return s.run(Self.items)
    }

    @Test func theSameSeedGivesTheSameSessionsAndAnotherSeedOthers() {
        let a = simulate(seed: 3)
        let b = simulate(seed: 3)
        let c = simulate(seed: 4)
        #expect(a == b)
        #expect(a != c)
        #expect(a.count > 400 * 2)
    }

    @Test func sessionsFollowTheirIntentAndASkewedPopularity() {
        let events = simulate(seed: 5)
        let sessions = Dictionary(grouping: events, by: \.sessionID)
        let humans = sessions.values.filter { $0.count < 20 }
        #expect(sessions.count == 400)
        #expect(humans.count > 360)  // bots are a few percent
        // Most next views stay in the session's first category (intent + similar items), not 1/4 as at random.
        var same = 0
        var total = 0
        for views in humans {
            let sorted = views.sorted { $0.viewedAt < $1.viewedAt }
            let first = Self.items.first { $0.id == sorted[0].itemID }!.category
            for v in sorted.dropFirst() {
                total += 1
                if Self.items.first(where: { $0.id == v.itemID })!.category == first { same += 1 }
            }
            #expect(Set(sorted.map(\.itemID)).count == sorted.count)  // no item twice in a human session
        }
        #expect(Double(same) / Double(total) > 0.6)
        // Popularity is skewed: the most viewed item is viewed far more than the median one.
        let counts = Dictionary(grouping: events, by: \.itemID).mapValues(\.count).values.sorted()
        #expect(Double(counts.last!) > 3 * Double(counts[counts.count / 2]))
    }

    @Test func theViewsCSVImportsAsARealLog() throws {
        let db = try TestDatabase.makeMigrated()
        try ServiceCatalog.write(
            Self.items.map { ServiceCatalog.Item(id: $0.id, category: $0.category, vector: nil) }, to: db)
        let events = simulate(seed: 6)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sim-\(UUID()).csv")
        defer { try? FileManager.default.removeItem(at: file) }
        try ViewEvent.writeCSV(events, to: file)
        let summary = try ViewImporter(database: db).run(path: file.path)
        #expect(summary.inserted == events.count && summary.bad.isEmpty)
    }
}
