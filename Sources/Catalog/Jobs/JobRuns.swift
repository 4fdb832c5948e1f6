import Foundation

/// Rows of `job_runs`: every import, backfill and nightly run is recorded with its counts.
public struct JobRuns: Sendable {
    public enum Status: String, Sendable { case running, succeeded, failed, interrupted }

    public struct Run: Sendable {
        public let id: Int
        let database: Database

        public func finish(_ status: Status, counts: String, message: String? = nil) throws {
            try database.withConnection(retryOnConnectionLoss: true) { c in
                try c.execute("UPDATE job_runs SET status = $2, counts = $3::jsonb, message = $4, finished_at = now() WHERE id = $1",
                              [.int64(Int64(id)), .text(status.rawValue), .text(counts), message.map(PGValue.text) ?? .null])
            }
        }
    }

    public let database: Database
    public init(database: Database) { self.database = database }

    public func start(kind: String, model: String? = nil) throws -> Run {
        let id = try database.withConnection { c in
            try c.query("INSERT INTO job_runs (kind, model, host, pid) VALUES ($1, $2, $3, $4) RETURNING id",
                        [.text(kind), model.map(PGValue.text) ?? .null, .text(ProcessInfo.processInfo.hostName),
                         .int32(ProcessInfo.processInfo.processIdentifier)]).first!.int("id")
        }
        return Run(id: id, database: database)
    }
}
