import Foundation
import Ranking

public struct CoViewUpdateSummary: Sendable, Equatable {
    /// View events after the watermark.
    public var newEvents = 0
    /// Sessions they belong to (each recounted whole: old part out, whole session in).
    public var sessions = 0
    /// Items whose neighbour lists were recomputed.
    public var relisted = 0
    /// A full recount ran instead (no build yet, or a different configuration).
    public var full = false
    public var seconds = 0.0
    public var json: String {
        "{\"new_events\":\(newEvents),\"sessions\":\(sessions),\"relisted\":\(relisted),\"full\":\(full),\"seconds\":\(seconds)}"
    }
}

/// `reco coviews update`: adds the view events written since the last build or update (the
/// `events_through` watermark) to the stored raw counts, and recomputes the neighbour lists of
/// the items whose counts changed (exactly, from the current counts). Other items' lists keep
/// scores computed with their partners' older counts until the next rebuild.
/// Only events of sessions with new events are read. One transaction: readers see the state
/// before or after.
public struct CoViewUpdate: Sendable {
    public let database: Database
    public var config = CoViewConfig()
    public var asOf: Date?

    public init(database: Database) { self.database = database }

    public func run() throws -> CoViewUpdateSummary {
        let clock = ContinuousClock(), start = clock.now
        return try JobRuns(database: database).record(kind: "coviews-update", counts: \.json) {
            let last = try database.withConnection { c in
                try c.query("SELECT events_through, config::text AS config FROM coview_builds").first
            }
            guard let last, try configMatches(last.string("config")) else {
                var full = CoViewBuild(database: database)
                full.config = config
                full.asOf = asOf
                let s = try full.build()
                return CoViewUpdateSummary(newEvents: s.events, relisted: s.items, full: true, seconds: s.seconds)
            }
            var summary = try database.withConnection { c in
                try c.transaction { try update(c, from: Int64(try last.int("events_through"))) }
            }
            summary.seconds = (clock.now - start) / .seconds(1)
            return summary
        }
    }

    /// The stored configuration, compared field by field (jsonb normalises the text).
    private func configMatches(_ stored: String) throws -> Bool {
        let a = try JSONSerialization.jsonObject(with: Data(stored.utf8)) as? NSDictionary
        let b = try JSONSerialization.jsonObject(with: Data(CoViewStore.configJSON(config).utf8)) as? NSDictionary
        return a != nil && a == b
    }

    private func update(_ c: PGConnection, from watermark: Int64) throws -> CoViewUpdateSummary {
        var summary = CoViewUpdateSummary()
        // One snapshot for the whole read: events arriving meanwhile wait for the next update.
        try c.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        let through = try c.query("SELECT coalesce(max(id), $1) AS through, count(*) AS n FROM view_events WHERE id > $1", [.int64(watermark)])[0]
        summary.newEvents = try through.int("n")
        guard summary.newEvents > 0 else { return summary }
        let newThrough = Int64(try through.int("through"))
        try c.execute("CREATE TEMP TABLE touched_sessions ON COMMIT DROP AS SELECT DISTINCT session_id FROM view_events WHERE id > $1 AND id <= $2",
                      [.int64(watermark), .int64(newThrough)])
        try c.execute("CREATE TEMP TABLE update_bounds ON COMMIT DROP AS SELECT $1::bigint AS through", [.int64(newThrough)])

        // Each touched session: out as it was counted, in as it is now.
        var names = CoViewStore.Names()
        var delta = CoViewCounts(config: config, asOf: CoViewStore.epoch)
        var current: String?
        var old = Set<Int32>(), all = Set<Int32>(), oldLast = Date.distantPast, allLast = Date.distantPast
        func flush() {
            guard current != nil else { return }
            if !old.isEmpty { delta.add(session: old, lastViewedAt: oldLast, removing: true) }
            delta.add(session: all, lastViewedAt: allLast)
            summary.sessions += 1
            old.removeAll(keepingCapacity: true)
            all.removeAll(keepingCapacity: true)
            oldLast = .distantPast
            allLast = .distantPast
        }
        try c.copyOut("""
            SELECT v.id, v.session_id, v.item_id, v.viewed_at FROM view_events v JOIN touched_sessions t USING (session_id)
            WHERE v.id <= (SELECT through FROM update_bounds) ORDER BY v.session_id, v.viewed_at
            """, columns: [.int8, .text, .text, .timestamptz]) { row in
            guard case .int64(let id) = row[0], case .text(let session) = row[1], case .text(let item) = row[2],
                  case .timestamp(let at) = row[3] else { throw PostgresError(.decoding, "unexpected view_events row") }
            if session != current { flush(); current = session }
            let i = names.id(item)
            all.insert(i)
            allLast = max(allLast, at)
            if id <= watermark {
                old.insert(i)
                oldLast = max(oldLast, at)
            }
        }
        flush()

        // Apply the signed changes to the stored counts.
        try c.execute("CREATE TEMP TABLE d_pairs (item_a text, item_b text, weight float8, sessions int4) ON COMMIT DROP")
        try c.execute("CREATE TEMP TABLE d_items (item_id text, weight float8, sessions int4) ON COMMIT DROP")
        try c.execute("CREATE TEMP TABLE d_lengths (item_id text, length int4, weight float8) ON COMMIT DROP")
        try c.copyIn(table: "d_pairs", columns: ["item_a", "item_b", "weight", "sessions"], rows: CoViewStore.pairRows(delta, names))
        try c.copyIn(table: "d_items", columns: ["item_id", "weight", "sessions"], rows: CoViewStore.itemRows(delta, names))
        try c.copyIn(table: "d_lengths", columns: ["item_id", "length", "weight"], rows: CoViewStore.lengthRows(delta, names))
        // Temporary tables have no statistics until analysed; without them the planner picks nested loops.
        try c.execute("ANALYZE d_pairs, d_items, d_lengths")
        try c.execute("""
            INSERT INTO coview_pairs AS p SELECT * FROM d_pairs ON CONFLICT (item_a, item_b)
            DO UPDATE SET weight = p.weight + EXCLUDED.weight, sessions = p.sessions + EXCLUDED.sessions
            """)
        try c.execute("DELETE FROM coview_pairs p USING d_pairs d WHERE p.item_a = d.item_a AND p.item_b = d.item_b AND p.sessions <= 0")
        try c.execute("""
            INSERT INTO coview_items AS i SELECT * FROM d_items ON CONFLICT (item_id)
            DO UPDATE SET weight = i.weight + EXCLUDED.weight, sessions = i.sessions + EXCLUDED.sessions
            """)
        try c.execute("DELETE FROM coview_items i USING d_items d WHERE i.item_id = d.item_id AND i.sessions <= 0")
        try c.execute("""
            INSERT INTO coview_item_lengths AS l SELECT * FROM d_lengths ON CONFLICT (item_id, length)
            DO UPDATE SET weight = l.weight + EXCLUDED.weight
            """)
        let totals = try c.query("""
            UPDATE coview_builds SET sessions = sessions + $1, views = views + $2, bot_sessions = bot_sessions + $3,
                events_through = $4, as_of = $5, updated_at = now()
            RETURNING sessions, views, bot_sessions
            """, [.float64(delta.sessions), .float64(delta.views), .int32(Int32(delta.botSessions)), .int64(newThrough), .timestamp(asOf ?? Date())])[0]

        // Lists to recompute: the items whose counts changed. (Their partners' scores move a little
        // too; with popular items every item is somebody's partner, which made this a full pass:
        // those lists are refreshed by the nightly rebuild.)
        try c.execute("CREATE TEMP TABLE relist ON COMMIT DROP AS SELECT DISTINCT item_id FROM d_items")
        try c.execute("ANALYZE relist")
        var stored = CoViewCounts(config: config, asOf: CoViewStore.epoch)
        var storedNames = CoViewStore.Names()
        stored.restoreTotals(sessions: try totals.double("sessions"), views: try totals.double("views"), botSessions: try totals.int("bot_sessions"))
        var relist = Set<Int32>()
        try c.copyOut("SELECT item_id FROM relist", columns: [.text]) { relist.insert(storedNames.id(try $0.string("c0"))) }
        try c.copyOut("""
            SELECT item_a, item_b, weight, sessions FROM coview_pairs
            WHERE item_a IN (SELECT item_id FROM relist) OR item_b IN (SELECT item_id FROM relist)
            """, columns: [.text, .text, .float8, .int4]) { row in
            stored.restore(pair: storedNames.id(try row.string("c0")), storedNames.id(try row.string("c1")),
                           weight: try row.double("c2"), sessions: Int32(try row.int("c3")))
        }
        try c.copyOut("SELECT item_id, weight, sessions FROM coview_items", columns: [.text, .float8, .int4]) { row in
            stored.restore(item: storedNames.id(try row.string("c0")), weight: try row.double("c1"), sessions: Int32(try row.int("c2")))
        }
        try c.copyOut("SELECT l.item_id, l.length, l.weight FROM coview_item_lengths l JOIN relist USING (item_id)",
                      columns: [.text, .int4, .float8]) { row in
            stored.restore(item: storedNames.id(try row.string("c0")), length: Int32(try row.int("c1")), weight: try row.double("c2"))
        }
        _ = try CoViewStore.writeNeighbours(c, counts: stored, names: storedNames, now: asOf ?? Date(), only: relist)
        summary.relisted = relist.count
        return summary
    }
}
