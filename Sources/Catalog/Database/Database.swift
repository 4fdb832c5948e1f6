import Foundation
import Synchronization

/// A small pool of libpq connections to one database. Calls block the calling thread (keep them
/// off event loops). A connection that broke is dropped, and the next call connects anew, so the
/// pool recovers by itself when the server comes back.
public final class Database: Sendable {
    public let url: String
    public let timeouts: DatabaseTimeouts
    private let idle = Mutex<[PGConnection]>([])
    private let maxIdle: Int

    public init(url: String, timeouts: DatabaseTimeouts = .job, maxIdle: Int = 8) {
        self.url = url
        self.timeouts = timeouts
        self.maxIdle = maxIdle
    }

    /// The same database with other timeouts (and a pool of its own).
    public func with(timeouts: DatabaseTimeouts) -> Database {
        Database(url: url, timeouts: timeouts, maxIdle: maxIdle)
    }

    /// Runs `body` with a connection. With `retryOnConnectionLoss`, a body that failed because the
    /// connection broke runs once more on a new connection (only for idempotent work).
    @discardableResult
    public func withConnection<T>(retryOnConnectionLoss: Bool = false, _ body: (PGConnection) throws -> T) throws -> T {
        do {
            return try attempt(body)
        } catch let error as PostgresError where retryOnConnectionLoss && error.isConnectionLoss {
            return try attempt(body)
        }
    }

    private func attempt<T>(_ body: (PGConnection) throws -> T) throws -> T {
        let connection = try checkOut()
        do {
            let value = try body(connection)
            checkIn(connection)
            return value
        } catch {
            if connection.isHealthy { checkIn(connection) }
            throw error
        }
    }

    private func checkOut() throws -> PGConnection {
        while let connection = idle.withLock({ $0.popLast() }) {
            if connection.isHealthy { return connection }
        }
        return try PGConnection(url: url, timeouts: timeouts)
    }

    private func checkIn(_ connection: PGConnection) {
        idle.withLock { pool in
            if pool.count < maxIdle { pool.append(connection) }
        }
    }

    /// `DATABASE_URL` if set, else the project's local cluster (ops/pg) as its URL file says.
    public static func defaultURL(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let url = environment["DATABASE_URL"], !url.isEmpty { return url }
        let dir = URL(
            fileURLWithPath: environment["RECO_PG_DIR"] ?? ".data/pg",
            relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        ).standardizedFileURL.path
        let port = environment["RECO_PG_PORT"] ?? "54329"
        return "postgresql://reco@/reco?host=\(dir)/socket&port=\(port)"
    }
}
