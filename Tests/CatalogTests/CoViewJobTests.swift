import Foundation
import Testing

@testable import Catalog

/// The co-view jobs as processes and as schema: the month partitions of view_events, retention,
/// a rebuild killed part-way, and `reco serve` keeping co-views fresh on its own.
@Suite(.serialized, .needsDatabase, .dropsDatabases) struct CoViewJobTests {
    static let reco = TestCatalog.projectRoot.appendingPathComponent(".build/debug/reco")

    static func checksum(_ c: PGConnection, upTo id: Int64 = .max) throws -> String {
        let row = try c.query(
            """
            SELECT count(*) AS n, coalesce(md5(string_agg(id || '|' || session_id || '|' || item_id || '|' || viewed_at
            || '|'
                                                          || received_at, ',' ORDER BY id)), '') AS sum
            FROM view_events WHERE id <= $1
            """, [.int64(id)])[0]
        return "\(try row.int("n")) \(try row.string("sum"))"
    }

    /// Migration 0007 moves every event into month partitions exactly once, while ingest goes on.
    @Test func partitioningKeepsEveryEventOnceWhileIngestGoesOn() throws {
        let url = try TestDatabase.makeEmpty()
        let all = try Migrator(directory: TestDatabase.migrationsDirectory)
        let c = try PGConnection(url: url)
        try Migrator(migrations: all.migrations.filter { $0.version < 7 }).apply(to: c)
        try c.execute(
            """
            INSERT INTO view_events (session_id, item_id, viewed_at)
            SELECT 's' || (g % 997), 'i' || (g % 101), now() - (g % 400) * interval '1 day' - g * interval '1 second'
            FROM generate_series(1, 20000) g
            """)
        try c.execute(
            "INSERT INTO view_events (session_id, item_id, viewed_at) VALUES ('old', 'x', '2001-01-01Z'), ('far', "
                + "'y', '2300-01-01Z')"
        )
        let before = try Self.checksum(c)
        let lastBefore = Int64(try c.query("SELECT max(id) AS m FROM view_events")[0].int("m"))
        // A writer appends batches the whole time; the migration's locks make it wait, never fail.
        let db = Database(url: url)
        let stop = ManagedFlag()
        let writer = Thread {
            var n = 0
            while !stop.isSet {
                try? ViewImporter(database: db).append([
                    ViewEvent(sessionID: "live", itemID: "i\(n % 7)", viewedAt: Date())
                ])
                n += 1
            }
            stop.count = n
        }
        writer.start()
        Thread.sleep(forTimeInterval: 0.2)
        try all.apply(to: c)
        Thread.sleep(forTimeInterval: 0.3)
        stop.set()
        while stop.count == nil { Thread.sleep(forTimeInterval: 0.05) }
        #expect(try Self.checksum(c, upTo: lastBefore) == before)
        let live = try c.query("SELECT count(*) AS n FROM view_events WHERE session_id = 'live'")[0].int("n")
        #expect(live == stop.count && live > 0)
        let kind = try c.query("SELECT relkind::text AS k FROM pg_class WHERE relname = 'view_events'")[0].string("k")
        #expect(kind == "p")
        let placed = try c.query(
            """
            SELECT count(*) FILTER (WHERE tableoid = 'view_events_default'::regclass) AS fallback, count(*) AS n FROM
            view_events
            """)[0]
        #expect(try placed.int("fallback") == 2)  // 2001 and 2300: outside the month partitions
    }

    @Test func pruneDropsWholeMonthsAndOldRows() throws {
        let db = try TestDatabase.makeMigrated()
        try db.withConnection { c in
            try c.execute("SELECT reco_ensure_view_partitions('2026-04-01', '2026-12-01')")
            try c.execute(
                """
                INSERT INTO view_events (session_id, item_id, viewed_at)
                SELECT 's' || g, 'i', d FROM generate_series(1, 10) g,
                       unnest(ARRAY['2026-04-15Z', '2026-06-30Z', '2026-07-31Z', '2026-08-15Z', '2026-11-01Z',
                       '2020-01-01Z']::timestamptz[]) d
                """)
        }
        let summary = try ViewEventRetention(database: db).prune(
            olderThan: 120 * 86_400, now: ISO8601.parse("2026-11-30T00:00:00Z")!)
        // Cutoff 2026-08-02: April to July end before it (4 partitions, 30 events), plus 2020 in the default partition.
        #expect(summary.partitions == 4 && summary.events == 40)
        let left = try db.withConnection { try $0.query("SELECT count(*) AS n FROM view_events")[0].int("n") }
        #expect(left == 20)
        #expect(ViewEventRetention.parseAge("90d") == 90 * 86_400 && ViewEventRetention.parseAge("3x") == nil)
    }

    /// `reco coviews rebuild` killed (SIGKILL, SIGINT) at several points: the lists served before
    /// are still there, whole, and the next rebuild completes.
    @Test func aKilledRebuildLeavesThePreviousListsServed() async throws {
        let db = try TestDatabase.makeMigrated()
        try db.withConnection { c in
            try c.execute(
                """
                INSERT INTO view_events (session_id, item_id, viewed_at)
                SELECT 's' || (g / 4), 'i' || floor(300 * power(random(), 2))::int, now() - (g % 50) * interval '1 hour'
                FROM generate_series(1, 60000) g
                """)
        }
        let first = try CoViewBuild(database: db).run()
        func lists() throws -> String {
            try db.withConnection { c in
                try c.query(
                    "SELECT count(*) AS n, md5(string_agg(item || ':' || rank || ':' || neighbour, ',' ORDER BY "
                        + "item, rank)) AS s FROM coview_neighbours"
                )
                .map { "\(try $0.int("n")) \(try $0.string("s"))" }[0]
            }
        }
        var served = try lists()
        func builtAt() throws -> String {
            try db.withConnection { try $0.query("SELECT built_at::text AS at FROM coview_builds")[0].string("at") }
        }
        var servedBuilt = try builtAt()
        try db.withConnection { c in
            try c.execute(
                """
                INSERT INTO view_events (session_id, item_id, viewed_at)
                SELECT 't' || (g / 3), 'i' || floor(300 * random())::int, now() FROM generate_series(1, 60000) g
                """)
        }
        var interrupted = 0
        // Twice the events take about twice as long: kill at fractions of that, after start-up.
        let expected = 2 * first.seconds
        // The kills' times come from the first build's: if that one ran on a busier machine, late
        // kills may all land after the swap, so a few early ones follow until two have interrupted.
        let planned = [(SIGKILL, 0.05), (SIGINT, 0.2), (SIGKILL, 0.35), (SIGINT, 0.5)]
        let early = [(SIGKILL, 0.0), (SIGINT, 0.01), (SIGKILL, 0.02), (SIGINT, 0.05)]
        for (attempt, (signal, fraction)) in (planned + early).enumerated() {
            if attempt >= planned.count && interrupted >= 2 { break }
            let delay = 0.05 + fraction * expected
            let process = Process()
            process.executableURL = Self.reco
            process.arguments = ["coviews", "rebuild", "--database-url", db.url]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            // The server finishes (or cancels) the orphaned statement on its own; wait for it.
            for _ in 0..<200 {
                let busy = try db.withConnection { c in
                    try c.query(
                        """
                        SELECT count(*) AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                        WHERE l.locktype = 'advisory' AND l.objid = 7263003 AND d.datname = current_database()
                        """)[0].int("n")
                }
                if busy == 0 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            // Either the swap never committed and the old lists are there, whole; or it did (the kill
            // came after it) and the new ones are, whole: every list ranked 1…n.
            if try builtAt() == servedBuilt {
                #expect(try lists() == served, "after \(signal) at \(delay) s")
                // The rebuild did not finish (a signal or a failed exit) and the old lists stand.
                if process.terminationReason == .uncaughtSignal || process.terminationStatus != 0 { interrupted += 1 }
            } else {
                let broken = try db.withConnection { c in
                    try c.query(
                        """
                        SELECT count(*) AS n FROM (SELECT item FROM coview_neighbours GROUP BY item
                                                   HAVING max(rank) <> count(*) OR min(rank) <> 1) x
                        """)[0].int("n")
                }
                #expect(broken == 0)
                (served, servedBuilt) = (try lists(), try builtAt())  // the next kill is judged against these
            }
        }
        #expect(interrupted >= 2, "fewer than two rebuilds were killed before their swap")
        let rebuilt = try CoViewBuild(database: db).run()
        #expect(rebuilt.events == 120_000)
        #expect(
            try db.withConnection { c in
                try c.query("SELECT count(*) AS n FROM pg_class WHERE relname LIKE 'coview_stage_%'")[0].int("n")
            } == 0)
    }

    /// With nothing but `reco serve` running, posted sessions move `/similar` (its own schedule).
    @Test func serveUpdatesCoViewsOnItsOwn() async throws {
        let db = try ServiceCatalog.make()
        let service = try await ServiceProcess(databaseURL: db.url, arguments: ["--coviews-every", "0.5"])
        _ = try await service.eventually("/readyz") { $0.status == 200 }
        func ids(_ reply: ServiceProcess.Reply) throws -> [String] {
            try #require(try reply.json()["results"] as? [[String: Any]]).compactMap { $0["item_id"] as? String }
        }
        #expect(try ids(await service.get("/items/a1/similar?w_image=0")).first != "b1")
        let body = ServiceCatalog.viewsJSON((0..<6).map { ("s\($0)", ["a1", "b1"]) })
        #expect(
            try await service.request(
                "/events/views", method: "POST", body: body,
                headers: ["Content-Type": "application/json"]
            ).status == 202)
        _ = try await service.eventually("/items/a1/similar?w_image=0", within: 15) { try ids($0).first == "b1" }
        #expect(service.log.contains("co-views updated"))
    }
}

/// A flag and a count shared with a writer thread.
final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    private var total: Int?
    var isSet: Bool { lock.withLock { flag } }
    func set() { lock.withLock { flag = true } }
    var count: Int? {
        get { lock.withLock { total } }
        set { lock.withLock { total = newValue } }
    }
}
