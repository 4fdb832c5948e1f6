import Foundation
import Ranking

public struct CoViewUpdateSummary: Sendable, Equatable, Codable {
    /// View events after the watermark: counted, and skipped as unusable.
    public var newEvents = 0
    public var skippedEvents = 0
    /// Sessions they belong to (each recounted whole: out as it was counted, in as it is now).
    public var sessions = 0
    /// Items whose neighbour lists were recomputed: those whose counts changed and their partners.
    public var relisted = 0
    /// A full recount ran instead (no build yet, other options, or the raw counts were lost).
    public var full = false
    /// Another co-view job held the lock, so this one did nothing (`reco serve`'s schedule only).
    public var skipped = false
    public var seconds = 0.0
    public var stages: [CoViewStage] = []

    public var json: String { JSON.encode(self) }
}

/// `reco coviews update`: adds the view events written since the last build or update (the
/// `events_through` watermark) to the stored raw counts inside PostgreSQL, and recomputes the
/// lists of the items whose counts changed and of their partners, so the lists equal a full
/// rebuild's. Only sessions with new events are read. The changes, the lists and the watermark
/// are written in one transaction: readers see the state before or after.
public struct CoViewUpdate: Sendable {
    public let database: Database
    public var config = CoViewConfig()
    public var settings = CoViewJobSettings()
    public var asOf: Date?
    /// Wait for another co-view job to finish (the command), or skip this run (a schedule).
    public var waitForLock = true
    /// Count with the options stored by the last rebuild rather than `config` (a schedule must not
    /// undo an operator's `reco coviews rebuild --method …`); `config` when nothing is stored.
    public var useStoredConfig = false
    /// From this fraction of items with changed counts on, every list is recomputed in one pass
    /// (see `relist`); below it only the affected lists are.
    public var recomputeAllListsFrom = 0.05

    public init(database: Database) { self.database = database }

    public func run() throws -> CoViewUpdateSummary {
        let clock = ContinuousClock()
        let start = clock.now
        let outcome: CoViewUpdateSummary? = try database.withConnection { c in
            let body = {
                try JobRuns(database: database).record(kind: "coviews-update", counts: \.json) { try update(c) }
            }
            return waitForLock ? try CoViewJobLock.holding(c, body) : try CoViewJobLock.ifFree(c, body)
        }
        var summary = outcome ?? CoViewUpdateSummary(skipped: true)
        summary.seconds = (clock.now - start) / .seconds(1)
        return summary
    }

    private func update(_ c: PGConnection) throws -> CoViewUpdateSummary {
        let last = try c.query(
            """
            SELECT events_through, config::text AS config, pair_rows, EXISTS (SELECT 1 FROM coview_pairs) AS has_pairs
            FROM coview_builds
            """
        ).first
        let lost = try last.map { try ($0.optionalInt("pair_rows") ?? 0) > 0 && !$0.bool("has_pairs") } ?? false
        let stored = try last.flatMap { StoredCoViewConfig.decode(try $0.string("config")) }
        let config = useStoredConfig ? stored?.config ?? self.config : self.config
        guard let last, !lost, stored == StoredCoViewConfig(config) else {
            var full = CoViewBuild(database: database)
            full.config = config
            full.settings = settings
            full.asOf = asOf
            let s = try full.build(c)
            return CoViewUpdateSummary(
                newEvents: s.events, skippedEvents: s.skippedEvents, relisted: s.items, full: true,
                stages: s.stages)
        }
        return try update(c, from: Int64(try last.int("events_through")), config: config)
    }

    /// Recomputes the lists the changes can move: those of the changed items and their partners.
    /// When the changed items are many (in a busy catalog nearly every item is some changed item's
    /// partner), every list is recomputed into a new table swapped in whole, which costs one
    /// parallel pass instead of deleting and inserting most rows one by one.
    private func relist(_ c: PGConnection, run: CoViewStageRunner, config: CoViewConfig, scoring: [PGValue]) throws
        -> Int
    {
        let counts = try c.query(
            """
            SELECT (SELECT count(*) FROM coview_stage_ditems) AS changed, (SELECT count(*) FROM coview_items) AS items
            """)[0]
        let lists = { (only: String?) in
            CoViewSQL.stageLists(
                config.method, pairs: "coview_pairs", items: "coview_items", lengths: "coview_item_lengths",
                only: only)
        }
        if try Double(counts.int("changed")) >= recomputeAllListsFrom * Double(counts.int("items")) {
            try run.step("apply/lists_all", c, lists(nil), scoring)
            try c.execute(CoViewSQL.primaryKey("neighbours", "item, rank"))
            for statement in CoViewSQL.swapIn(stage: "neighbours", served: "neighbours") { try c.execute(statement) }
            return try counts.int("items")
        }
        let relisted = try run.step("apply/relist", c, CoViewSQL.relist, [.int32(Int32(clamping: config.minSupport))])
        try c.execute("ANALYZE coview_stage_relist")
        try run.step("apply/lists", c, lists("coview_stage_relist"), scoring)
        try run.step(
            "apply/delete_lists", c,
            "DELETE FROM coview_neighbours n USING coview_stage_relist r WHERE n.item = r.item")
        try run.step(
            "apply/insert_lists", c,
            "INSERT INTO coview_neighbours SELECT item, rank, neighbour, score, sessions FROM coview_stage_neighbours")
        return relisted
    }

    private func update(_ c: PGConnection, from watermark: Int64, config: CoViewConfig) throws -> CoViewUpdateSummary {
        var summary = CoViewUpdateSummary()
        let run = try CoViewStageRunner(c, settings: settings)
        try run.dropStageTables()
        defer { try? run.dropStageTables() }
        try CoViewJobLock.ensurePartitions(c)
        let through = Int64(try c.query("SELECT coalesce(max(id), 0) AS through FROM view_events")[0].int("through"))
        guard through > watermark else { return summary }
        (summary.newEvents, summary.skippedEvents) = try run.stage("events", rows: { $0.0 + $0.1 }) { c in
            try CoViewJobLock.countEvents(c, after: watermark, through: through)
        }
        let bots = PGValue.int32(Int32(clamping: config.maxSessionItems))
        // The stage tables are small: with statistics the planner reads the touched sessions through
        // the (session_id, viewed_at) index instead of scanning every event.
        summary.sessions = try run.stage(
            "touched_sessions", CoViewSQL.touched, [.int64(watermark), .int64(through)],
            analyze: "coview_stage_touched")
        try run.stage(
            "session_items", CoViewSQL.deltaSessionItems, [.int64(watermark), .int64(through)],
            analyze: "coview_stage_dsi")
        try run.stage("item_keys", CoViewSQL.newKeys(from: "coview_stage_dsi"))
        try run.stage(
            "sessions", CoViewSQL.deltaSessions, [.timestamp(CoViewSQL.epoch), .float64(config.halfLife)],
            analyze: "coview_stage_dsessions")
        try run.stage("members", CoViewSQL.deltaMembers, [bots], analyze: "coview_stage_dmembers")
        try run.stage("pairs", CoViewSQL.deltaPairs, analyze: "coview_stage_dpairs")
        try run.stage("items", CoViewSQL.deltaItems, analyze: "coview_stage_ditems")
        try run.stage("lengths", CoViewSQL.deltaLengths, analyze: "coview_stage_dlengths")
        let delta = try CoViewTotals(c.query(CoViewSQL.deltaTotals, [bots])[0])
        let now = asOf ?? Date()
        summary.relisted = try run.stage("apply", rows: { $0 }) { c in
            for (i, statement) in CoViewSQL.applyDeltas.enumerated() {
                try run.step(
                    [
                        "apply/add_pairs", "apply/drop_pairs", "apply/add_items", "apply/drop_items",
                        "apply/add_lengths",
                    ][i], c, statement)
            }
            let totals = try CoViewTotals(
                c.query(
                    """
                    UPDATE coview_builds SET sessions = sessions + $1, views = views + $2, bot_sessions = bot_sessions
                    + $3,
                        events_through = $4, skipped_events = skipped_events + $5, as_of = $6, updated_at = now()
                    RETURNING sessions, views, bot_sessions AS bots
                    """,
                    [
                        .float64(delta.sessions), .float64(delta.views), .int32(Int32(clamping: delta.bots)),
                        .int64(through),
                        .int64(Int64(summary.skippedEvents)), .timestamp(now),
                    ])[0])
            let scoring = CoViewScoring(config: config, totals: totals, at: now).parameters
            return try relist(c, run: run, config: config, scoring: scoring)
        }
        summary.stages = run.stages
        return summary
    }
}
