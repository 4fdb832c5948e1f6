import Foundation
import Ranking

public struct CoViewBuildSummary: Sendable, Equatable {
    public var events = 0
    /// Sessions counted, weighted at the time of the build.
    public var sessions = 0.0
    public var botSessions = 0
    public var items = 0
    /// Stored raw pair counts (before the support threshold).
    public var pairs = 0
    /// Neighbour rows written.
    public var neighbours = 0
    public var seconds = 0.0
    public var json: String {
        "{\"events\":\(events),\"sessions\":\(sessions),\"bot_sessions\":\(botSessions),\"items\":\(items),\"pairs\":\(pairs),\"neighbours\":\(neighbours),\"seconds\":\(seconds)}"
    }
}

/// `reco coviews rebuild`: a full recount of co-views from `view_events`, streamed in session
/// order with binary COPY (memory grows with distinct items and pairs, not with events). The raw
/// counts, each item's top-M neighbours and the watermark replace the stored ones in one
/// transaction; `CoViewUpdate` then adds newer events from the watermark.
public struct CoViewBuild: Sendable {
    public let database: Database
    public var config = CoViewConfig()
    /// Scores are computed as of this time (default: now).
    public var asOf: Date?

    public init(database: Database) { self.database = database }

    public func run() throws -> CoViewBuildSummary {
        try JobRuns(database: database).record(kind: "coviews", counts: \.json) { try build() }
    }

    func build() throws -> CoViewBuildSummary {
        let clock = ContinuousClock(), start = clock.now
        var summary = CoViewBuildSummary()
        var names = CoViewStore.Names()
        var grouper = SessionGrouper(counts: CoViewCounts(config: config, asOf: CoViewStore.epoch))
        var through: Int64 = 0
        try database.withConnection { c in
            try c.copyOut("SELECT id, session_id, item_id, viewed_at FROM view_events ORDER BY session_id, viewed_at",
                          columns: [.int8, .text, .text, .timestamptz]) { row in
                guard case .int64(let id) = row[0], case .text(let session) = row[1], case .text(let item) = row[2],
                      case .timestamp(let at) = row[3] else { throw PostgresError(.decoding, "unexpected view_events row") }
                grouper.add(session: session, item: names.id(item), at: at)
                through = max(through, id)
                summary.events += 1
            }
        }
        grouper.flush()
        let counts = grouper.counts
        let now = asOf ?? Date()
        summary.sessions = counts.sessions * pow(0.5, now.timeIntervalSince(CoViewStore.epoch) / config.halfLife)
        summary.botSessions = counts.botSessions
        summary.items = counts.itemSessions.filter { $0 > 0 }.count
        summary.pairs = counts.pairs.count
        try database.withConnection { c in
            try c.transaction {
                // Only jobs read the raw counts: TRUNCATE (no dead rows to vacuum) is fine for them.
                try c.execute("TRUNCATE coview_pairs, coview_item_lengths")
                try c.execute("DELETE FROM coview_items")
                try c.copyIn(table: "coview_pairs", columns: ["item_a", "item_b", "weight", "sessions"], rows: CoViewStore.pairRows(counts, names))
                try c.copyIn(table: "coview_items", columns: ["item_id", "weight", "sessions"], rows: CoViewStore.itemRows(counts, names))
                try c.copyIn(table: "coview_item_lengths", columns: ["item_id", "length", "weight"], rows: CoViewStore.lengthRows(counts, names))
                summary.neighbours = try CoViewStore.writeNeighbours(c, counts: counts, names: names, now: now, only: nil)
                summary.seconds = (clock.now - start) / .seconds(1)
                try c.execute("""
                    INSERT INTO coview_builds (as_of, events_through, method, config, sessions, views, bot_sessions, seconds)
                    VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8)
                    ON CONFLICT (id) DO UPDATE SET as_of = EXCLUDED.as_of, events_through = EXCLUDED.events_through,
                        method = EXCLUDED.method, config = EXCLUDED.config, sessions = EXCLUDED.sessions, views = EXCLUDED.views,
                        bot_sessions = EXCLUDED.bot_sessions, seconds = EXCLUDED.seconds, built_at = now(), updated_at = now()
                    """, [.timestamp(now), .int64(through), .text(config.method.rawValue), .text(CoViewStore.configJSON(config)),
                          .float64(counts.sessions), .float64(counts.views), .int32(Int32(counts.botSessions)), .float64(summary.seconds)])
            }
        }
        summary.seconds = (clock.now - start) / .seconds(1)
        return summary
    }
}
