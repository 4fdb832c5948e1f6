import Crypto
import Foundation

/// Applies numbered SQL files (`NNNN_name.sql`) in order, each in its own transaction, and records
/// them with a checksum. A file edited after it was applied is refused: fix forward with a new one.
public struct Migrator: Sendable {
    public struct Migration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let sql: String
        public var checksum: String { SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined() }
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case badFileName(String)
        case duplicateVersion(Int)
        case edited(version: Int, name: String, applied: String, now: String)
        case unknownApplied(version: Int, name: String)

        public var description: String {
            switch self {
            case .badFileName(let f): "migration file \(f) must be named NNNN_name.sql"
            case .duplicateVersion(let v): "two migration files have version \(v)"
            case .edited(let v, let name, let applied, let now):
                "migration \(v) (\(name)) was edited after it was applied (checksum \(applied.prefix(12))… in the "
                    + "database, \(now.prefix(12))… on disk); add a new migration instead"
            case .unknownApplied(let v, let name):
                "the database has migration \(v) (\(name)) that is not on disk: is this reco older than the database?"
            }
        }
    }

    public let migrations: [Migration]

    public init(migrations: [Migration]) throws {
        var seen = Set<Int>()
        for m in migrations where !seen.insert(m.version).inserted { throw Failure.duplicateVersion(m.version) }
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// The migrations compiled into this binary (from the project's `Migrations/` folder).
    public static func embedded() throws -> Migrator {
        try Migrator(files: EmbeddedFiles.text)
    }

    /// The `*.sql` files of a folder (migrations under development, or another project's).
    public init(directory: URL) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }
        var files: [String: String] = [:]
        for name in names {
            files[name] = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        }
        try self.init(files: files)
    }

    /// Migrations from file name (`NNNN_name.sql`) → SQL.
    init(files: [String: String]) throws {
        try self.init(
            migrations: files.map { file, sql in
                let stem = file.dropLast(4)
                guard file.hasSuffix(".sql"), let underscore = stem.firstIndex(of: "_"),
                    let version = Int(stem[..<underscore])
                else { throw Failure.badFileName(file) }
                return Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql)
            })
    }

    /// Applies what is missing; returns the migrations applied now. Concurrent callers serialise
    /// on an advisory lock, so two processes starting together apply each migration once.
    @discardableResult
    public func apply(to connection: PGConnection) throws -> [Migration] {
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """)
        try connection.execute("SELECT pg_advisory_lock(7263001)")
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock(7263001)") }
        let applied = try Dictionary(
            uniqueKeysWithValues: connection.query("SELECT version, name, checksum FROM schema_migrations").map {
                (try $0.int("version"), (name: try $0.string("name"), checksum: try $0.string("checksum")))
            })
        let onDisk = Set(migrations.map(\.version))
        if let unknown = applied.keys.sorted().first(where: { !onDisk.contains($0) }) {
            throw Failure.unknownApplied(version: unknown, name: applied[unknown]!.name)
        }
        var done: [Migration] = []
        for m in migrations {
            if let existing = applied[m.version] {
                guard existing.checksum == m.checksum else {
                    throw Failure.edited(version: m.version, name: m.name, applied: existing.checksum, now: m.checksum)
                }
                continue
            }
            try connection.transaction {
                try connection.executeScript(m.sql)
                try connection.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    [.int32(Int32(m.version)), .text(m.name), .text(m.checksum)])
            }
            done.append(m)
        }
        return done
    }
}
