import Foundation

/// One co-view job at a time per database (a PostgreSQL advisory lock held by the job's
/// connection), whichever machine or `reco serve` replica runs it; and the chores every job does.
enum CoViewJobLock {
    static let key: Int64 = 7_263_003

    /// Runs `body` holding the lock, waiting for another job to finish first.
    static func holding<T>(_ c: PGConnection, _ body: () throws -> T) throws -> T {
        try c.execute("SELECT pg_advisory_lock($1)", [.int64(key)])
        defer { _ = try? c.execute("SELECT pg_advisory_unlock($1)", [.int64(key)]) }
        return try body()
    }

    /// Runs `body` holding the lock, or returns nil at once when another job has it.
    static func ifFree<T>(_ c: PGConnection, _ body: () throws -> T) throws -> T? {
        guard try c.query("SELECT pg_try_advisory_lock($1) AS got", [.int64(key)])[0].bool("got") else { return nil }
        defer { _ = try? c.execute("SELECT pg_advisory_unlock($1)", [.int64(key)]) }
        return try body()
    }

    /// Month partitions for this month and the next three, so new events never wait on one.
    static func ensurePartitions(_ c: PGConnection) throws {
        try c.execute("SELECT reco_ensure_view_partitions(now()::date, (now() + interval '3 months')::date)")
    }

    /// Events with ids in (after, through]: how many will be counted, and how many are skipped.
    static func countEvents(_ c: PGConnection, after: Int64, through: Int64) throws -> (Int, Int) {
        let row = try c.query(
            """
            SELECT count(*) FILTER (WHERE \(CoViewSQL.countable)) AS counted,
                   count(*) FILTER (WHERE NOT (\(CoViewSQL.countable))) AS skipped
            FROM view_events v WHERE v.id > $1 AND v.id <= $2
            """, [.int64(after), .int64(through)])[0]
        return (try row.int("counted"), try row.int("skipped"))
    }
}
