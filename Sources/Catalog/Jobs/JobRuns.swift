import Foundation

/// Rows of `job_runs`: every import, backfill and nightly run is recorded with its counts.
public struct JobRuns: Sendable {
    public enum Status: String, Sendable { case running, succeeded, failed, interrupted }

    public struct Run: Sendable {
        public let id: Int
        let database: Database

        public func finish(_ status: Status, counts: String, message: String? = nil) throws {
            try database.withConnection(retryOnConnectionLoss: true) { c in
                try c.execute(
                    "UPDATE job_runs SET status = $2, counts = $3::jsonb, message = $4, finished_at = now() WHERE id "
                        + "= $1",
                    [.int64(Int64(id)), .text(status.rawValue), .text(counts), message.map(PGValue.text) ?? .null])
            }
        }
    }

    public let database: Database
    public init(database: Database) { self.database = database }

    /// Runs `body` as a recorded job: a `running` row first, then `succeeded` with `counts(result)`,
    /// or `failed` with `partial()` (what was done before the error) and the error's message.
    public func record<T>(
        kind: String, model: String? = nil, counts: (T) -> String, partial: () -> String = { "{}" },
        _ body: () throws -> T
    ) throws -> T {
        let run = try start(kind: kind, model: model)
        do {
            let value = try body()
            try run.finish(.succeeded, counts: counts(value))
            return value
        } catch {
            try? run.finish(.failed, counts: partial(), message: "\(error)")
            throw error
        }
    }

    public func start(kind: String, model: String? = nil) throws -> Run {
        try markInterrupted()
        let id = try database.withConnection { c in
            try c.query(
                "INSERT INTO job_runs (kind, model, host, pid) VALUES ($1, $2, $3, $4) RETURNING id",
                [
                    .text(kind), model.map(PGValue.text) ?? .null, .text(ProcessInfo.processInfo.hostName),
                    .int32(ProcessInfo.processInfo.processIdentifier),
                ]
            ).first!.int("id")
        }
        return Run(id: id, database: database)
    }

    /// Runs left `running` by a process of this host that no longer exists (killed, crashed) are
    /// marked `interrupted`; their unfinished work is still in the queue for this run.
    func markInterrupted() throws {
        let host = ProcessInfo.processInfo.hostName
        try database.withConnection(retryOnConnectionLoss: true) { c in
            let running = try c.query(
                "SELECT id, pid FROM job_runs WHERE status = 'running' AND host = $1 AND pid IS NOT NULL", [.text(host)]
            )
            for run in running {
                let pid = pid_t(try run.int("pid"))
                guard kill(pid, 0) != 0 && errno == ESRCH else { continue }
                try c.execute(
                    "UPDATE job_runs SET status = 'interrupted', finished_at = now(), message = "
                        + "'process ended without finishing' WHERE id = $1 AND status = 'running'",
                    [.int64(Int64(try run.int("id")))])
            }
        }
    }
}
