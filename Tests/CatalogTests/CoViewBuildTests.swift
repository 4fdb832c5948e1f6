import Foundation
import Ranking
import Testing
@testable import Catalog

@Suite struct CoViewBuildTests {
    /// The hand-checked sessions of RankingTests ({1,2,3}, {1,2}, {2,3}, {1,4}) plus a bot session,
    /// imported as events and counted from the database.
    @Test func rebuildStoresNeighboursAndEvidence() throws {
        let db = try TestDatabase.makeMigrated()
        let now = Date(timeIntervalSince1970: 1_764_000_000)
        var events: [ViewEvent] = []
        for (s, items) in [("s1", ["i1", "i2", "i3"]), ("s2", ["i1", "i2", "i1"]), ("s3", ["i2", "i3"]), ("s4", ["i1", "i4"])] {
            for (k, item) in items.enumerated() { events.append(ViewEvent(sessionID: s, itemID: item, viewedAt: now.addingTimeInterval(Double(-k)))) }
        }
        for k in 0..<5 { events.append(ViewEvent(sessionID: "bot", itemID: "i\(k + 1)", viewedAt: now)) }
        try ViewImporter(database: db).append(events)
        var build = CoViewBuild(database: db)
        build.asOf = now
        build.config.maxSessionItems = 4
        let summary = try build.run()
        #expect(summary.events == 15 && summary.sessions == 4 && summary.botSessions == 1 && summary.items == 4 && summary.pairs == 2)
        let rows = try db.withConnection {
            try $0.query("SELECT item_id, rank, neighbour_id, score, sessions FROM coview_neighbours ORDER BY item_id, rank")
        }
        let lists = Dictionary(grouping: rows, by: { (try? $0.string("item_id")) ?? "" })
        #expect(try lists["i2"]?.map { try $0.string("neighbour_id") } == ["i3", "i1"])
        #expect(abs(try lists["i2"]![0].double("score") - 2 / 6.0.squareRoot()) < 1e-9)
        #expect(try lists["i1"]?.map { try $0.string("neighbour_id") } == ["i2"])
        #expect(lists["i4"] == nil)
        let evidence = try db.withConnection { try $0.query("SELECT item_id, sessions FROM coview_items ORDER BY item_id") }
        #expect(try evidence.map { "\(try $0.string("item_id")):\(try $0.int("sessions"))" } == ["i1:3", "i2:3", "i3:2", "i4:1"])
        // A rebuild with another method replaces, not adds.
        build.config.method = .jaccard
        _ = try build.run()
        #expect(try db.withConnection { try $0.query("SELECT count(*) AS n FROM coview_neighbours").first!.int("n") } == 4)
    }
}
