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
        #expect(summary.events == 15 && summary.sessions == 4 && summary.botSessions == 1 && summary.items == 4 && summary.pairs == 4)
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

    /// Events added after a build — new sessions, sessions that grow, one that turns into a bot —
    /// through the incremental update leave the same counts as a full recount, and the same lists
    /// for the items they touched.
    @Test(arguments: CoViewMethod.allCases)
    func updateFromTheWatermarkEqualsAFullRecount(method: CoViewMethod) throws {
        let db = try TestDatabase.makeMigrated()
        let now = Date(timeIntervalSince1970: 1_764_000_000)
        var state: UInt64 = 5
        func next(_ n: UInt64) -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int((state >> 33) % n) }
        func events(_ sessions: Range<Int>, hoursAgo: Double) -> [ViewEvent] {
            sessions.flatMap { s in
                (0..<(2 + next(4))).map { k in
                    ViewEvent(sessionID: "s\(s)", itemID: "i\(next(12))", viewedAt: now.addingTimeInterval(-hoursAgo * 3600 + Double(k)))
                }
            }
        }
        var config = CoViewConfig()
        config.method = method
        config.maxSessionItems = 6
        config.minSupport = 1
        config.topM = 5
        try ViewImporter(database: db).append(events(0..<60, hoursAgo: 400))
        var build = CoViewBuild(database: db)
        build.config = config
        build.asOf = now
        _ = try build.run()
        // Later: sessions 50..<90 (10 old ones grow, some past the bot limit), 40 new.
        try ViewImporter(database: db).append(events(50..<90, hoursAgo: 2))
        var update = CoViewUpdate(database: db)
        update.config = config
        update.asOf = now
        let summary = try update.run()
        // The lists recomputed are those of the items in the new events; all counts must match.
        let changed = Set(try db.withConnection { c in
            try c.query("SELECT DISTINCT v.item_id FROM view_events v WHERE v.session_id IN (SELECT session_id FROM view_events WHERE viewed_at > $1)",
                        [.timestamp(now.addingTimeInterval(-3 * 3600))]).map { try $0.string("item_id") }
        })
        #expect(!summary.full && summary.sessions == 40 && summary.newEvents > 0 && summary.relisted == changed.count)
        func snapshot() throws -> [String] {
            try db.withConnection { c in
                try c.query("SELECT item_id, rank, neighbour_id, score, sessions FROM coview_neighbours ORDER BY item_id, rank")
                    .filter { changed.contains(try $0.string("item_id")) }.map {
                    "\(try $0.string("item_id")) \(try $0.int("rank")) \(try $0.string("neighbour_id")) \(String(format: "%.6f", try $0.double("score"))) \(try $0.int("sessions"))"
                } + c.query("SELECT item_id, sessions FROM coview_items ORDER BY item_id").map {
                    "\(try $0.string("item_id")) \(try $0.int("sessions"))"
                } + c.query("SELECT events_through, bot_sessions, round(sessions::numeric, 6)::text AS s FROM coview_builds").map {
                    "through \(try $0.int("events_through")) bots \(try $0.int("bot_sessions")) sessions \(try $0.string("s"))"
                }
            }
        }
        let incremental = try snapshot()
        #expect(try update.run().newEvents == 0)
        _ = try build.run()
        #expect(try snapshot() == incremental)
    }
}
