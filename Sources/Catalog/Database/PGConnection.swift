import CLibPQ
import Foundation

/// One libpq connection. Parameters are always sent separately from the SQL text (no string
/// building), in binary; results come back in binary and are decoded by type. Not for concurrent
/// use: the `Database` pool hands a connection to one caller at a time (hence unchecked Sendable).
public final class PGConnection: @unchecked Sendable {
    let handle: OpaquePointer
    /// Statements prepared on this connection, by SQL text.
    var prepared: [String: String] = [:]
    public let timeouts: DatabaseTimeouts
    let watch: CallWatchdog.Watch

    public init(url: String, timeouts: DatabaseTimeouts = .job) throws {
        // The URL's own connect_timeout, if it has one, wins (expanded after the default).
        let conn = Self.withCStrings(["connect_timeout", "dbname"]) { keys in
            Self.withCStrings(["\(timeouts.connectSeconds)", url]) { values in
                PQconnectdbParams(keys, values, 1)
            }
        }
        guard let conn else { throw PostgresError(.connection, "out of memory") }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(conn))
            PQfinish(conn)
            throw PostgresError(.connection, message)
        }
        handle = conn
        self.timeouts = timeouts
        // shutdown(2) wakes the thread blocked in libpq; the connection is then broken and dropped.
        let socket = PQsocket(conn)
        watch = CallWatchdog.Watch { _ = shutdown(socket, Int32(SHUT_RDWR)) }
        CallWatchdog.shared.register(watch)
        _ = try query("SET TIME ZONE 'UTC'")
        _ = try query("SET client_min_messages TO warning")  // no NOTICE chatter on stderr
        _ = try query("SET statement_timeout = \(timeouts.statementMilliseconds)")
    }

    deinit {
        CallWatchdog.shared.unregister(watch)
        PQfinish(handle)
    }

    /// Runs one libpq call under the watchdog: a call the server does not answer within the
    /// statement timeout plus the grace is cut off and reported as a timeout.
    func guarded<T>(_ body: () throws -> T) throws -> T {
        watch.arm(timeouts.statement + timeouts.grace)
        defer { watch.disarm() }
        do {
            return try body()
        } catch {
            if watch.fired.load(ordering: .acquiring) {
                let seconds = (timeouts.statement + timeouts.grace) / .seconds(1)
                throw PostgresError(
                    .connection, "no answer from PostgreSQL within \(Int(seconds.rounded())) s (timed out)")
            }
            throw error
        }
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let copies = strings.map { strdup($0) }
        defer { for copy in copies { free(copy) } }
        return body(copies.map { UnsafePointer($0) } + [nil])
    }

    public var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Runs one statement; with `prepare`, prepares it once per connection and reuses the plan.
    @discardableResult
    public func query(_ sql: String, _ params: [PGValue] = [], prepare: Bool = false) throws -> [PGRow] {
        try withResult(sql, params, prepare: prepare) { try Self.rows(of: $0) }
    }

    /// Runs one statement; returns the number of rows it affected.
    @discardableResult
    public func execute(_ sql: String, _ params: [PGValue] = [], prepare: Bool = false) throws -> Int {
        try withResult(sql, params, prepare: prepare) { Int(String(cString: PQcmdTuples($0))) ?? 0 }
    }

    /// Runs a script of several statements with no parameters (migrations).
    public func executeScript(_ sql: String) throws {
        try guarded {
            guard let result = PQexec(handle, sql) else { throw connectionError() }
            defer { PQclear(result) }
            try check(result)
        }
    }

    /// Runs `body` in a transaction: committed if it returns, rolled back if it throws.
    @discardableResult
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if isHealthy { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    // MARK: - libpq plumbing

    private func withResult<T>(_ sql: String, _ params: [PGValue], prepare: Bool, _ read: (OpaquePointer) throws -> T)
        throws -> T
    {
        try guarded { try unguardedResult(sql, params, prepare: prepare, read) }
    }

    private func unguardedResult<T>(
        _ sql: String, _ params: [PGValue], prepare: Bool,
        _ read: (OpaquePointer) throws -> T
    ) throws -> T {
        let encoded = params.map(\.binary)
        let types = params.map(\.oid)
        let lengths = encoded.map { Int32($0?.count ?? 0) }
        let formats = [Int32](repeating: 1, count: params.count)
        var name: String?
        if prepare {
            if let existing = prepared[sql] {
                name = existing
            } else {
                let fresh = "reco_\(prepared.count + 1)"
                guard let result = PQprepare(handle, fresh, sql, Int32(params.count), types) else {
                    throw connectionError()
                }
                defer { PQclear(result) }
                try check(result)
                prepared[sql] = fresh
                name = fresh
            }
        }
        let result: OpaquePointer? = withParameterPointers(encoded) { values in
            if let name {
                return PQexecPrepared(handle, name, Int32(params.count), values, lengths, formats, 1)
            }
            return PQexecParams(handle, sql, Int32(params.count), types, values, lengths, formats, 1)
        }
        guard let result else { throw connectionError() }
        defer { PQclear(result) }
        try check(result)
        return try read(result)
    }

    /// Keeps every parameter's bytes alive while libpq reads them.
    private func withParameterPointers<R>(_ values: [[UInt8]?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        var storage: [UnsafeMutablePointer<CChar>?] = []
        defer { for pointer in storage { pointer?.deallocate() } }
        for value in values {
            guard let value else {
                storage.append(nil)
                continue
            }
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(value.count, 1))
            value.withUnsafeBytes { src in
                UnsafeMutableRawBufferPointer(start: p, count: value.count).copyMemory(from: src)
            }
            storage.append(p)
        }
        return body(storage.map { $0.map { UnsafePointer($0) } })
    }

    func check(_ result: OpaquePointer) throws {
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_COPY_IN, PGRES_EMPTY_QUERY:
            return
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let message = String(cString: PQresultErrorMessage(result))
            if !isHealthy { throw PostgresError(.connection, sqlState: state, message) }
            throw PostgresError(.query, sqlState: state, message)
        }
    }

    func connectionError() -> PostgresError {
        PostgresError(.connection, String(cString: PQerrorMessage(handle)))
    }

    private static func rows(of result: OpaquePointer) throws -> [PGRow] {
        let count = Int(PQntuples(result))
        let fields = Int(PQnfields(result))
        let names = (0..<fields).map { String(cString: PQfname(result, Int32($0))) }
        let types = (0..<fields).map { PQftype(result, Int32($0)) }
        return try (0..<count).map { r in
            PGRow(
                columns: names,
                values: try (0..<fields).map { f in
                    if PQgetisnull(result, Int32(r), Int32(f)) == 1 { return .null }
                    let length = Int(PQgetlength(result, Int32(r), Int32(f)))
                    let bytes = UnsafeRawBufferPointer(start: PQgetvalue(result, Int32(r), Int32(f)), count: length)
                    return try PGValue.decode(oid: types[f], bytes: bytes)
                })
        }
    }
}
