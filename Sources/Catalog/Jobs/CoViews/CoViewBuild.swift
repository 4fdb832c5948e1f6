import Foundation
import Ranking

public struct CoViewBuildSummary: Sendable, Equatable, Codable {
    /// Events counted, and events skipped as unusable (over-long ids, times outside the window).
    public var events = 0
    public var skippedEvents = 0
    /// Sessions counted, weighted at the time of the build.
    public var sessions = 0.0
    public var botSessions = 0
    public var items = 0
    /// Stored raw pair counts (before the support threshold).
    public var pairs = 0
    /// Neighbour rows written.
    public var neighbours = 0
    public var seconds = 0.0
    public var stages: [CoViewStage] = []

    public var json: String { JSON.encode(self) }
}

/// `reco coviews rebuild`: a full recount of co-views from `view_events`, inside PostgreSQL (the
/// `reco` process holds no pairs, whatever the event count). Stage tables are built first and
/// swapped in with the watermark in one short transaction, so readers see the old state or the
/// new one, and a rebuild killed at any point leaves the old one in place.
public struct CoViewBuild: Sendable {
    public let database: Database
    public var config = CoViewConfig()
    public var settings = CoViewJobSettings()
    /// Scores are computed as of this time (default: now).
    public var asOf: Date?

    public init(database: Database) { self.database = database }

    public func run() throws -> CoViewBuildSummary {
        try JobRuns(database: database).record(kind: "coviews", counts: \.json) {
            try database.withConnection { c in try CoViewJobLock.holding(c) { try build(c) } }
        }
    }

    func build(_ c: PGConnection) throws -> CoViewBuildSummary {
        let clock = ContinuousClock()
        let start = clock.now
        var summary = CoViewBuildSummary()
        let run = try CoViewStageRunner(c, settings: settings)
        try run.dropStageTables()
        defer { try? run.dropStageTables() }
        try CoViewJobLock.ensurePartitions(c)
        let through = Int64(try c.query("SELECT coalesce(max(id), 0) AS through FROM view_events")[0].int("through"))
        try run.stage("session_items", CoViewSQL.sessionItems, [.int64(through)])
        try run.stage("item_keys", CoViewSQL.newKeys(from: "coview_stage_si", where: "s.ok"))
        try run.stage("sessions", CoViewSQL.sessions, [.timestamp(CoViewSQL.epoch), .float64(config.halfLife)])
        try run.stage("members", CoViewSQL.members, [.int32(Int32(clamping: config.maxSessionItems))])
        summary.pairs = try run.stage("pairs", rows: { $0 }) { c in
            let rows = try run.step("pairs/count", c, CoViewSQL.pairs)
            try run.step("pairs/key", c, CoViewSQL.primaryKey("pairs", "item_a, item_b"))
            try run.step("pairs/index", c, "CREATE INDEX coview_stage_pairs_b ON coview_stage_pairs (item_b)")
            return rows
        }
        summary.items = try run.stage("items", rows: { $0 }) { c in
            let rows = try c.execute(CoViewSQL.items)
            try c.execute(CoViewSQL.primaryKey("items", "item"))
            return rows
        }
        try run.stage("lengths", rows: { $0 }) { c in
            let rows = try c.execute(CoViewSQL.lengths)
            try c.execute(CoViewSQL.primaryKey("lengths", "item, length"))
            return rows
        }
        let totalsRow = try c.query(CoViewSQL.totals, [.int32(Int32(clamping: config.maxSessionItems))])[0]
        let totals = try CoViewTotals(totalsRow)
        summary.events = try totalsRow.int("events")
        summary.skippedEvents = try totalsRow.int("skipped")
        let now = asOf ?? Date()
        summary.neighbours = try run.stage("lists", rows: { $0 }) { c in
            let rows = try c.execute(
                CoViewSQL.stageLists(
                    config.method, pairs: "coview_stage_pairs", items: "coview_stage_items",
                    lengths: "coview_stage_lengths",
                    only: nil), CoViewScoring(config: config, totals: totals, at: now).parameters)
            try c.execute(CoViewSQL.primaryKey("neighbours", "item, rank"))
            return rows
        }
        summary.sessions = totals.sessions * CoViewScoring.decay(to: now, halfLife: config.halfLife)
        summary.botSessions = totals.bots
        summary.seconds = (clock.now - start) / .seconds(1)
        try run.stage("swap", rows: { 0 }) { c in
            let swaps = [
                ("pairs", "pairs"), ("items", "items"), ("lengths", "item_lengths"), ("neighbours", "neighbours"),
            ]
            for (stage, served) in swaps {
                for statement in CoViewSQL.swapIn(stage: stage, served: served) { try c.execute(statement) }
            }
            try c.execute("ALTER INDEX coview_stage_pairs_b RENAME TO coview_pairs_b")
            try c.execute(
                """
                INSERT INTO coview_builds (as_of, events_through, method, config, sessions, views, bot_sessions,
                seconds,
                                           pair_rows, skipped_events)
                VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10)
                ON CONFLICT (id) DO UPDATE SET as_of = EXCLUDED.as_of, events_through = EXCLUDED.events_through,
                    method = EXCLUDED.method, config = EXCLUDED.config, sessions = EXCLUDED.sessions, views =
                    EXCLUDED.views,
                    bot_sessions = EXCLUDED.bot_sessions, seconds = EXCLUDED.seconds, pair_rows = EXCLUDED.pair_rows,
                    skipped_events = EXCLUDED.skipped_events, built_at = now(), updated_at = now()
                """,
                [
                    .timestamp(now), .int64(through), .text(config.method.rawValue),
                    .text(StoredCoViewConfig(config).json),
                    .float64(totals.sessions), .float64(totals.views), .int32(Int32(clamping: totals.bots)),
                    .float64(summary.seconds), .int64(Int64(summary.pairs)), .int64(Int64(summary.skippedEvents)),
                ])
        }
        summary.seconds = (clock.now - start) / .seconds(1)
        summary.stages = run.stages
        return summary
    }
}

/// Epoch-weighted totals of the counted sessions.
struct CoViewTotals {
    var sessions: Double
    var views: Double
    var bots: Int

    init(_ row: PGRow) throws {
        sessions = try row.double("sessions")
        views = try row.double("views")
        bots = try row.int("bots")
    }
}

/// The parameters of `CoViewSQL.lists`: stored weights decayed to the scoring time.
struct CoViewScoring {
    let config: CoViewConfig
    let totals: CoViewTotals
    let at: Date

    /// The factor that takes an epoch-weighted count to `time`.
    static func decay(to time: Date, halfLife: TimeInterval) -> Double {
        pow(0.5, time.timeIntervalSince(CoViewSQL.epoch) / halfLife)
    }

    var parameters: [PGValue] {
        [
            .float64(Self.decay(to: at, halfLife: config.halfLife)), .float64(totals.sessions), .float64(totals.views),
            .int32(Int32(clamping: config.minSupport)), .int32(Int32(clamping: config.topM)),
            .float64(config.liftShrinkage),
        ]
    }
}

/// The configuration stored with the counts; an update runs only on counts made the same way.
struct StoredCoViewConfig: Codable, Equatable {
    let method: String
    let maxSessionItems: Int
    let halfLifeSeconds: Double
    let minSupport: Int
    let topM: Int
    let liftShrinkage: Double

    init(_ config: CoViewConfig) {
        method = config.method.rawValue
        maxSessionItems = config.maxSessionItems
        halfLifeSeconds = config.halfLife
        minSupport = config.minSupport
        topM = config.topM
        liftShrinkage = config.liftShrinkage
    }

    var json: String { JSON.encode(self) }

    /// The options as a configuration (nil for a method this version does not know).
    var config: CoViewConfig? {
        guard let method = CoViewMethod(rawValue: method) else { return nil }
        var c = CoViewConfig()
        c.method = method
        c.maxSessionItems = maxSessionItems
        c.halfLife = halfLifeSeconds
        c.minSupport = minSupport
        c.topM = topM
        c.liftShrinkage = liftShrinkage
        return c
    }

    static func decode(_ json: String) -> StoredCoViewConfig? {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(StoredCoViewConfig.self, from: Data(json.utf8))
    }
}
