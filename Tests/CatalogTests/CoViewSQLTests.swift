import Foundation
import Ranking
import Testing

@testable import Catalog

/// The co-view counts and lists PostgreSQL computes equal the Swift reference implementation's
/// (`Ranking.CoViewCounts`, kept as this oracle and for `reco eval`): counts to a relative 1e-9,
/// lists in the same order with ties broken by item id, for every normalisation, after a rebuild
/// and after updates.
@Suite(.needsDatabase, .dropsDatabases) struct CoViewSQLTests {
    static let now = Date(timeIntervalSince1970: 1_764_000_000)

    /// Everything the co-view tables hold, by item id.
    struct State: Equatable {
        var items: [String: (weight: Double, sessions: Int)] = [:]
        var pairs: [String: (weight: Double, sessions: Int)] = [:]
        var lengths: [String: Double] = [:]
        var lists: [String: [(id: String, score: Double, sessions: Int)]] = [:]
        var sessions = 0.0, views = 0.0, bots = 0

        static func == (a: State, b: State) -> Bool { a.differences(b).isEmpty }

        /// What differs, described (empty when equal to a relative 1e-9).
        func differences(_ other: State) -> [String] {
            func near(_ x: Double, _ y: Double) -> Bool { abs(x - y) <= 1e-9 * max(1, abs(x), abs(y)) }
            var out: [String] = []
            if !near(sessions, other.sessions) || !near(views, other.views) || bots != other.bots {
                out.append("totals \(sessions)/\(views)/\(bots) vs \(other.sessions)/\(other.views)/\(other.bots)")
            }
            for (name, mine, theirs) in [("item", items, other.items), ("pair", pairs, other.pairs)] {
                for key in Set(mine.keys).union(theirs.keys) {
                    guard let m = mine[key], let t = theirs[key], near(m.weight, t.weight), m.sessions == t.sessions
                    else {
                        out.append(
                            "\(name) \(key): \(String(describing: mine[key])) vs \(String(describing: theirs[key]))")
                        continue
                    }
                }
            }
            for key in Set(lengths.keys).union(other.lengths.keys)
            where !near(lengths[key] ?? 0, other.lengths[key] ?? 0) {
                out.append("length \(key): \(lengths[key] ?? 0) vs \(other.lengths[key] ?? 0)")
            }
            for key in Set(lists.keys).union(other.lists.keys) {
                let m = lists[key] ?? []
                let t = other.lists[key] ?? []
                let same =
                    m.count == t.count
                    && zip(m, t).allSatisfy { $0.id == $1.id && near($0.score, $1.score) && $0.sessions == $1.sessions }
                if !same { out.append("list \(key): \(m) vs \(t)") }
            }
            return out
        }
    }

    /// The oracle: the Swift counts over the same events (those the jobs count), as of `now`.
    static func oracle(_ events: [ViewEvent], config: CoViewConfig) -> State {
        var names: [String] = []
        var index: [String: Int32] = [:]
        func id(_ name: String) -> Int32 {
            if let i = index[name] { return i }
            index[name] = Int32(names.count)
            names.append(name)
            return index[name]!
        }
        var grouper = SessionGrouper(counts: CoViewCounts(config: config, asOf: CoViewSQL.epoch))
        for e in events.sorted(by: { $0.sessionID < $1.sessionID }) {
            grouper.add(session: e.sessionID, item: id(e.itemID), at: e.viewedAt)
        }
        grouper.flush()
        let counts = grouper.counts
        var state = State(sessions: counts.sessions, views: counts.views, bots: counts.botSessions)
        for i in 0..<counts.itemCount where counts.itemSessions[i] != 0 {
            state.items[names[i]] = (counts.itemWeight[i], Int(counts.itemSessions[i]))
            for l in counts.lengths[i] where l.weight != 0 { state.lengths["\(names[i])/\(l.items)"] = l.weight }
        }
        for (key, pair) in counts.pairs where pair.sessions != 0 {
            let (a, b) = CoViewCounts.items(of: key)
            state.pairs[[names[Int(a)], names[Int(b)]].sorted().joined(separator: "|")] = (
                pair.weight, Int(pair.sessions)
            )
        }
        var scored = counts
        scored.decay(to: now)
        for (item, list) in scored.neighbours() {
            // The Swift lists break ties by first appearance; the stored ones by id, as documented.
            let sorted = list.map { (id: names[Int($0.item)], score: $0.score, sessions: Int($0.sessions)) }
                .sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
            state.lists[names[Int(item)]] = sorted
        }
        return state
    }

    /// The stored state, by item id.
    static func stored(_ db: Database) throws -> State {
        try db.withConnection { c in
            let totals = try c.query("SELECT sessions, views, bot_sessions FROM coview_builds")[0]
            var state = State(
                sessions: try totals.double("sessions"), views: try totals.double("views"),
                bots: try totals.int("bot_sessions"))
            for row in try c.query(
                "SELECT k.item_id, i.weight, i.sessions FROM coview_items i JOIN item_keys k ON k.key = i.item")
            {
                state.items[try row.string("item_id")] = (try row.double("weight"), try row.int("sessions"))
            }
            for row in try c.query(
                """
                SELECT a.item_id AS a, b.item_id AS b, p.weight, p.sessions FROM coview_pairs p
                JOIN item_keys a ON a.key = p.item_a JOIN item_keys b ON b.key = p.item_b
                """)
            {
                state.pairs[[try row.string("a"), try row.string("b")].sorted().joined(separator: "|")] = (
                    try row.double("weight"), try row.int("sessions")
                )
            }
            for row in try c.query(
                "SELECT k.item_id, l.length, l.weight FROM coview_item_lengths l JOIN item_keys k ON k.key = l.item")
            where try row.double("weight") != 0 {
                state.lengths["\(try row.string("item_id"))/\(try row.int("length"))"] = try row.double("weight")
            }
            for row in try c.query(
                """
                SELECT a.item_id AS a, b.item_id AS b, n.score, n.sessions FROM coview_neighbours n
                JOIN item_keys a ON a.key = n.item JOIN item_keys b ON b.key = n.neighbour ORDER BY n.item, n.rank
                """)
            {
                state.lists[try row.string("a"), default: []].append(
                    (try row.string("b"), try row.double("score"), try row.int("sessions")))
            }
            return state
        }
    }

    /// Sessions of 1–6 views over 15 items (some repeated), spread over weeks; ids with odd characters.
    static func randomEvents(seed: UInt64, sessions: Range<Int>, hoursAgo: Double) -> [ViewEvent] {
        var rng = SplitMix64(seed: seed)
        let items = (0..<15).map { $0 % 5 == 0 ? "item \($0)/é" : "i\($0)" }
        return sessions.flatMap { s in
            let start = now.addingTimeInterval(-hoursAgo * 3600 - Double(rng.next() % 500_000))
            return (0..<(1 + Int(rng.next() % 6))).map { k in
                ViewEvent(
                    sessionID: "s\(s)", itemID: items[Int(rng.next() % 15)],
                    viewedAt: start.addingTimeInterval(Double(k * 30)))
            }
        }
    }

    func config(_ method: CoViewMethod) -> CoViewConfig {
        var config = CoViewConfig()
        config.method = method
        config.maxSessionItems = 5
        config.minSupport = 2
        config.topM = 4
        return config
    }

    @Test func theHandCheckedSessionsAndABot() throws {
        let db = try TestDatabase.makeMigrated()
        var events: [ViewEvent] = []
        for (s, items) in [
            ("s1", ["i1", "i2", "i3"]), ("s2", ["i1", "i2", "i1"]), ("s3", ["i2", "i3"]), ("s4", ["i1", "i4"]),
        ] {
            for (k, item) in items.enumerated() {
                events.append(ViewEvent(sessionID: s, itemID: item, viewedAt: Self.now.addingTimeInterval(Double(-k))))
            }
        }
        for k in 0..<5 { events.append(ViewEvent(sessionID: "bot", itemID: "i\(k + 1)", viewedAt: Self.now)) }
        try ViewImporter(database: db).append(events)
        var build = CoViewBuild(database: db)
        build.asOf = Self.now
        build.config.maxSessionItems = 4
        let summary = try build.run()
        #expect(summary.events == 15 && abs(summary.sessions - 4) < 1e-9 && summary.botSessions == 1)
        #expect(summary.items == 4 && summary.pairs == 4 && summary.stages.map(\.name).contains("pairs"))
        let state = try Self.stored(db)
        #expect(state.lists["i2"]?.map(\.id) == ["i3", "i1"])
        #expect(abs(state.lists["i2"]![0].score - 2 / 6.0.squareRoot()) < 1e-9)
        #expect(state.lists["i1"]?.map(\.id) == ["i2"] && state.lists["i4"] == nil)
        #expect(state.items.mapValues(\.sessions) == ["i1": 3, "i2": 3, "i3": 2, "i4": 1])
        #expect(state == Self.oracle(events, config: build.config))
    }

    /// Seeds 1 and 2 recompute only the affected lists, seed 3 every list (the two paths of an update).
    @Test(arguments: CoViewMethod.allCases, [UInt64(1), 2, 3])
    func rebuildAndUpdatesEqualTheSwiftCounts(method: CoViewMethod, seed: UInt64) throws {
        let db = try TestDatabase.makeMigrated()
        var events = Self.randomEvents(seed: seed, sessions: 0..<80, hoursAgo: 400)
        try ViewImporter(database: db).append(events)
        var build = CoViewBuild(database: db)
        build.config = config(method)
        build.asOf = Self.now
        _ = try build.run()
        let rebuilt = try Self.stored(db)
        #expect(
            rebuilt.differences(Self.oracle(events, config: build.config)).isEmpty,
            "\(rebuilt.differences(Self.oracle(events, config: build.config)).prefix(5))")

        // Sessions 70..<110: ten old ones grow (some past the bot cut), forty are new.
        for round in 0..<2 {
            let more = Self.randomEvents(
                seed: seed &+ 100 &+ UInt64(round), sessions: (70 + round * 5)..<(110 + round * 5), hoursAgo: 2)
            try ViewImporter(database: db).append(more)
            events += more
            var update = CoViewUpdate(database: db)
            update.config = config(method)
            update.asOf = Self.now
            update.recomputeAllListsFrom = seed == 3 ? 0 : 2
            let summary = try update.run()
            #expect(!summary.full && summary.newEvents == more.count && summary.relisted > 0)
            let updated = try Self.stored(db)
            let expected = Self.oracle(events, config: update.config)
            #expect(updated.differences(expected).isEmpty, "round \(round): \(updated.differences(expected).prefix(5))")
        }
    }

    /// Rows PostgreSQL accepted before ingest validated them (an id too long for an index row, a
    /// view in year 99999 or 2100) are skipped and counted; they never stop a job.
    @Test func poisonRowsAreSkippedAndCounted() throws {
        let db = try TestDatabase.makeMigrated()
        let events = Self.randomEvents(seed: 9, sessions: 0..<30, hoursAgo: 10)
        try ViewImporter(database: db).append(events)
        try db.withConnection { c in
            try c.execute(
                """
                INSERT INTO view_events (session_id, item_id, viewed_at) VALUES
                    ('s1', repeat('x', 3000), now()), ('s2', 'i1', '99999-11-02T10:00:00Z'), ('s3', 'i2',
                    '2100-01-01Z'),
                    (repeat('s', 100000), 'i3', now()), ('s4', 'i4', '1999-12-31Z')
                """)
        }
        var build = CoViewBuild(database: db)
        build.config = config(.cosine)
        build.asOf = Self.now
        let summary = try build.run()
        #expect(summary.skippedEvents == 5 && summary.events == events.count)
        #expect(try Self.stored(db) == Self.oracle(events, config: build.config))
        try db.withConnection {
            try $0.execute(
                "INSERT INTO view_events (session_id, item_id, viewed_at) VALUES ('s5', 'i1', '3000-01-01Z')")
        }
        var update = CoViewUpdate(database: db)
        update.config = build.config
        update.asOf = Self.now
        let updated = try update.run()
        #expect(updated.skippedEvents == 1 && updated.newEvents == 0 && !updated.full)
        #expect(try Self.stored(db) == Self.oracle(events, config: build.config))
    }

    /// Lost raw counts (an unlogged table emptied by a crash) or other options make the update recount.
    @Test func anUpdateRecountsWhenItCannotAdd() throws {
        let db = try TestDatabase.makeMigrated()
        let events = Self.randomEvents(seed: 4, sessions: 0..<40, hoursAgo: 10)
        try ViewImporter(database: db).append(events)
        var update = CoViewUpdate(database: db)
        update.config = config(.cosine)
        update.asOf = Self.now
        #expect(try update.run().full)  // no build yet
        try db.withConnection { try $0.execute("TRUNCATE coview_pairs") }
        #expect(try update.run().full)
        #expect(try Self.stored(db) == Self.oracle(events, config: update.config))
        update.config.method = .jaccard
        #expect(try update.run().full)
    }
}
