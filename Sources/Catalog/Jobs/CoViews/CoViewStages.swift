import Foundation

/// How much of PostgreSQL a co-view job may use, set per transaction (`SET LOCAL`, no superuser
/// needed): memory per sort or hash before it spills to disk, parallel workers per query, and —
/// where the role may set it — a cap on temporary files.
public struct CoViewJobSettings: Sendable, Equatable {
    public var workMem = "256MB"
    /// For building the raw counts' indexes (tens of millions of pairs): the server default of
    /// 64 MB makes each index build spill and merge on disk.
    public var maintenanceWorkMem = "512MB"
    public var parallelWorkers = 2
    /// `temp_file_limit`; only superusers (or roles granted SET on it) can change it, so for other
    /// roles the server's own setting applies.
    public var tempFileLimit = "50GB"

    public init() {}
}

/// One measured stage of a job: what it did, how long it took, how many rows it wrote and how
/// many bytes of temporary files PostgreSQL used for it.
public struct CoViewStage: Sendable, Equatable, Codable {
    public let name: String
    public let rows: Int
    public let seconds: Double
    public let tempBytes: Int
}

/// Runs a job's statements in transactions with the job's settings, and measures each stage.
final class CoViewStageRunner {
    let connection: PGConnection
    let settings: CoViewJobSettings
    private(set) var stages: [CoViewStage] = []
    private let canLimitTempFiles: Bool

    init(_ connection: PGConnection, settings: CoViewJobSettings) throws {
        self.connection = connection
        self.settings = settings
        canLimitTempFiles = try connection.query(
            """
            SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
                   OR has_parameter_privilege('temp_file_limit', 'SET') AS allowed
            """)[0].bool("allowed")
    }

    /// `body` in one transaction under the settings; returns what it returns and records the stage.
    @discardableResult
    func stage<T>(_ name: String, rows: (T) -> Int, _ body: (PGConnection) throws -> T) throws -> T {
        let clock = ContinuousClock()
        let start = clock.now
        let before = try tempBytes()
        let value = try connection.transaction {
            try connection.execute("SELECT set_config('work_mem', $1, true)", [.text(settings.workMem)])
            try connection.execute(
                "SELECT set_config('maintenance_work_mem', $1, true)", [.text(settings.maintenanceWorkMem)])
            try connection.execute(
                "SELECT set_config('max_parallel_workers_per_gather', $1, true)",
                [.text("\(settings.parallelWorkers)")])
            if canLimitTempFiles {
                try connection.execute(
                    "SELECT set_config('temp_file_limit', $1, true)", [.text(settings.tempFileLimit)])
            }
            return try body(connection)
        }
        stages.append(
            CoViewStage(
                name: name, rows: rows(value), seconds: (clock.now - start) / .seconds(1),
                tempBytes: max(0, try tempBytes() - before)))
        return value
    }

    /// A stage of one statement; its row count is what the statement wrote. With `analyze`, the
    /// table it created gets statistics (a fresh table has none, and the planner then guesses).
    @discardableResult
    func stage(_ name: String, _ sql: String, _ params: [PGValue] = [], analyze table: String? = nil) throws -> Int {
        try stage(name, rows: { $0 }) { c in
            let rows = try c.execute(sql, params)
            if let table { try c.execute("ANALYZE \(table)") }
            return rows
        }
    }

    /// A step inside a stage's transaction, timed on its own and named `stage/step`; it is listed
    /// before its stage, whose time includes it (temporary bytes are reported for the whole stage:
    /// statistics reach the shared view only between transactions).
    @discardableResult
    func step(_ name: String, _ c: PGConnection, _ sql: String, _ params: [PGValue] = []) throws -> Int {
        let clock = ContinuousClock()
        let start = clock.now
        let rows = try c.execute(sql, params)
        stages.append(CoViewStage(name: name, rows: rows, seconds: (clock.now - start) / .seconds(1), tempBytes: 0))
        return rows
    }

    /// The database's cumulative temporary-file bytes. Statistics reach the shared view when a
    /// backend goes idle; forcing the next flush makes the figure current for this connection.
    private func tempBytes() throws -> Int {
        try connection.execute("SELECT pg_stat_force_next_flush()")
        try connection.execute("SELECT pg_stat_clear_snapshot()")
        return try connection.query("SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()")[0]
            .int("temp_bytes")
    }

    func dropStageTables() throws {
        try connection.execute("DROP TABLE IF EXISTS " + CoViewSQL.stageTables.joined(separator: ", "))
    }
}
