import Foundation
import Ranking

public struct CoViewBuildSummary: Sendable, Equatable {
    public var events = 0
    public var sessions = 0.0
    public var botSessions = 0
    public var items = 0
    public var pairs = 0
    public var seconds = 0.0
    public var json: String {
        "{\"events\":\(events),\"sessions\":\(sessions),\"bot_sessions\":\(botSessions),\"items\":\(items),\"pairs\":\(pairs),\"seconds\":\(seconds)}"
    }
}

/// `reco coviews rebuild`: a full recount of co-views from `view_events`, streamed in session
/// order with binary COPY (memory grows with distinct items and pairs, not with events), then
/// each item's top-M neighbours and its evidence replace the stored ones in one transaction.
public struct CoViewBuild: Sendable {
    public let database: Database
    public var config = CoViewConfig()
    /// The time decay is measured from (default: now).
    public var asOf: Date?

    public init(database: Database) { self.database = database }

    public func run() throws -> CoViewBuildSummary {
        let clock = ContinuousClock(), start = clock.now
        return try JobRuns(database: database).record(kind: "coviews", counts: \.json) {
            var summary = CoViewBuildSummary()
            var index: [String: Int32] = [:], names: [String] = []
            var grouper = SessionGrouper(counts: CoViewCounts(config: config, asOf: asOf ?? Date()))
            var through: Int64 = 0
            try database.withConnection { c in
                try c.copyOut("SELECT id, session_id, item_id, viewed_at FROM view_events ORDER BY session_id, viewed_at",
                              columns: [.int8, .text, .text, .timestamptz]) { row in
                    guard case .int64(let id) = row[0], case .text(let session) = row[1], case .text(let item) = row[2],
                          case .timestamp(let at) = row[3] else { throw PostgresError(.decoding, "unexpected view_events row") }
                    let i: Int32
                    if let known = index[item] { i = known } else {
                        i = Int32(names.count)
                        index[item] = i
                        names.append(item)
                    }
                    grouper.add(session: session, item: i, at: at)
                    through = max(through, id)
                    summary.events += 1
                }
            }
            grouper.flush()
            let counts = grouper.counts
            let neighbours = counts.neighbours()
            summary.sessions = counts.sessions
            summary.botSessions = counts.botSessions
            summary.items = counts.itemWeight.count
            summary.pairs = neighbours.values.reduce(0) { $0 + $1.count } / 2
            var itemRows: [[PGValue]] = [], neighbourRows: [[PGValue]] = []
            for (item, weight) in counts.itemWeight {
                itemRows.append([.text(names[Int(item)]), .float64(weight), .int32(counts.itemSessions[item] ?? 0)])
            }
            for (item, list) in neighbours {
                for (rank, n) in list.enumerated() {
                    neighbourRows.append([.text(names[Int(item)]), .int32(Int32(rank + 1)), .text(names[Int(n.item)]),
                                          .float64(n.score), .int32(Int32(n.sessions))])
                }
            }
            summary.seconds = (clock.now - start) / .seconds(1)
            try database.withConnection { c in
                try c.transaction {
                    try c.execute("DELETE FROM coview_neighbours")
                    try c.execute("DELETE FROM coview_items")
                    try c.copyIn(table: "coview_items", columns: ["item_id", "weight", "sessions"], rows: itemRows)
                    try c.copyIn(table: "coview_neighbours", columns: ["item_id", "rank", "neighbour_id", "score", "sessions"], rows: neighbourRows)
                    try c.execute("""
                        INSERT INTO coview_builds (as_of, events_through, method, config, sessions, bot_sessions, seconds)
                        VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)
                        ON CONFLICT (id) DO UPDATE SET as_of = EXCLUDED.as_of, events_through = EXCLUDED.events_through,
                            method = EXCLUDED.method, config = EXCLUDED.config, sessions = EXCLUDED.sessions,
                            bot_sessions = EXCLUDED.bot_sessions, seconds = EXCLUDED.seconds, built_at = now()
                        """, [.timestamp(counts.asOf), .int64(through), .text(config.method.rawValue), .text(configJSON),
                              .float64(counts.sessions), .int32(Int32(counts.botSessions)), .float64(summary.seconds)])
                }
            }
            summary.seconds = (clock.now - start) / .seconds(1)
            return summary
        }
    }

    var configJSON: String {
        "{\"max_session_items\":\(config.maxSessionItems),\"half_life_seconds\":\(config.halfLife),\"min_support\":\(config.minSupport),\"top_m\":\(config.topM),\"lift_shrinkage\":\(config.liftShrinkage)}"
    }
}
