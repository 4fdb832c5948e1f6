import CLibPQ
import Foundation

/// One libpq connection. Parameters are always sent separately from the SQL text (no string
/// building), in binary; results come back in binary and are decoded by type. Not for concurrent
/// use: the `Database` pool hands a connection to one caller at a time (hence unchecked Sendable).
public final class PGConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    /// Statements prepared on this connection, by SQL text.
    private var prepared: [String: String] = [:]
    public let timeouts: DatabaseTimeouts
    private let watch: CallWatchdog.Watch

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
    private func guarded<T>(_ body: () throws -> T) throws -> T {
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

    /// Bulk-writes rows with `COPY table (columns) FROM STDIN (FORMAT binary)`. Binary COPY converts
    /// nothing: each value must be exactly its column's type (int4 for integer, float8 for double…).
    public func copyIn(table: String, columns: [String], rows: [[PGValue]]) throws {
        try guarded { try unguardedCopyIn(table: table, columns: columns, rows: rows) }
    }

    private func unguardedCopyIn(table: String, columns: [String], rows: [[PGValue]]) throws {
        let sql = "COPY \(table) (\(columns.joined(separator: ", "))) FROM STDIN (FORMAT binary)"
        guard let start = PQexec(handle, sql) else { throw connectionError() }
        let status = PQresultStatus(start)
        if status != PGRES_COPY_IN {
            defer { PQclear(start) }
            try check(start)
            throw PostgresError(.query, "COPY did not start")
        }
        PQclear(start)
        var buffer = BinaryCopyEncoder.header
        for row in rows {
            precondition(row.count == columns.count, "COPY row has \(row.count) values for \(columns.count) columns")
            BinaryCopyEncoder.append(row, to: &buffer)
            if buffer.count >= 1 << 20 { try putCopyData(&buffer) }
        }
        buffer += BinaryCopyEncoder.trailer
        try putCopyData(&buffer)
        guard PQputCopyEnd(handle, nil) == 1 else { throw connectionError() }
        while let result = PQgetResult(handle) {
            defer { PQclear(result) }
            try check(result)
        }
    }

    /// Streams the rows of `COPY (query) TO STDOUT (FORMAT binary)` to `body` one at a time, so a
    /// result of any size is read in bounded memory. The binary format carries no types: give each
    /// column's. Parameters cannot be used in COPY; `query` must be a constant statement.
    public func copyOut(_ query: String, columns: [PGType], _ body: (PGRow) throws -> Void) throws {
        try guarded { try unguardedCopyOut(query, columns: columns, body) }
    }

    private func unguardedCopyOut(_ query: String, columns: [PGType], _ body: (PGRow) throws -> Void) throws {
        guard let start = PQexec(handle, "COPY (\(query)) TO STDOUT (FORMAT binary)") else { throw connectionError() }
        if PQresultStatus(start) != PGRES_COPY_OUT {
            defer { PQclear(start) }
            try check(start)
            throw PostgresError(.query, "COPY did not start")
        }
        PQclear(start)
        var decoder = BinaryCopyDecoder(types: columns.map(\.oid))
        var failure: (any Error)?
        while true {
            var chunk: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(handle, &chunk, 0)
            if length == -1 { break }  // done
            if length < -1 { throw connectionError() }
            defer { PQfreemem(chunk) }
            watch.arm(timeouts.grace)  // the server is streaming: a pause longer than the grace is not
            guard failure == nil, let chunk else { continue }  // after an error, drain the stream
            do {
                if let values = try decoder.row(UnsafeRawBufferPointer(start: chunk, count: Int(length))) {
                    try body(PGRow(columns: [], values: values))  // COPY columns are read by position
                }
            } catch {
                failure = error
            }
        }
        while let result = PQgetResult(handle) {
            defer { PQclear(result) }
            try check(result)
        }
        if let failure { throw failure }
    }

    private func putCopyData(_ buffer: inout [UInt8]) throws {
        let ok = buffer.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) {
                PQputCopyData(handle, $0, Int32(p.count))
            }
        }
        guard ok == 1 else { throw connectionError() }
        buffer.removeAll(keepingCapacity: true)
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

    private func check(_ result: OpaquePointer) throws {
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

    private func connectionError() -> PostgresError {
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

/// Column types for `copyOut`, whose binary stream does not carry them.
public enum PGType: Sendable {
    case bool, int4, int8, float8, text, bytea, timestamptz, jsonb, textArray

    var oid: UInt32 {
        switch self {
        case .bool: PGValue.OID.bool
        case .int4: PGValue.OID.int4
        case .int8: PGValue.OID.int8
        case .float8: PGValue.OID.float8
        case .text: PGValue.OID.text
        case .bytea: PGValue.OID.bytea
        case .timestamptz: PGValue.OID.timestamptz
        case .jsonb: PGValue.OID.jsonb
        case .textArray: PGValue.OID.textArray
        }
    }
}

/// Reads the rows of a binary COPY stream (libpq hands over one row per PQgetCopyData; the first
/// also carries the file header).
struct BinaryCopyDecoder {
    let types: [UInt32]
    private var headerSeen = false

    init(types: [UInt32]) { self.types = types }

    /// The row's values, or nil for the trailer.
    mutating func row(_ bytes: UnsafeRawBufferPointer) throws -> [PGValue]? {
        var at = 0
        func int<T: FixedWidthInteger>(_: T.Type) throws -> T {
            guard at + MemoryLayout<T>.size <= bytes.count else { throw PostgresError(.decoding, "truncated COPY row") }
            defer { at += MemoryLayout<T>.size }
            return T(bigEndian: bytes.loadUnaligned(fromByteOffset: at, as: T.self))
        }
        if !headerSeen {
            guard bytes.count >= 19, Array(bytes.prefix(11)) == Array(BinaryCopyEncoder.header.prefix(11)) else {
                throw PostgresError(.decoding, "not a binary COPY stream")
            }
            at = 15
            at += Int(try int(UInt32.self))  // header extension
            headerSeen = true
        }
        let fields = Int(try int(Int16.self))
        if fields == -1 { return nil }
        guard fields == types.count else {
            throw PostgresError(.decoding, "COPY row has \(fields) fields, expected \(types.count)")
        }
        return try types.map { type in
            let length = Int(try int(Int32.self))
            if length == -1 { return .null }
            guard length >= 0, at + length <= bytes.count else {
                throw PostgresError(.decoding, "truncated COPY field")
            }
            defer { at += length }
            return try PGValue.decode(oid: type, bytes: UnsafeRawBufferPointer(rebasing: bytes[at..<(at + length)]))
        }
    }
}

/// PostgreSQL's binary COPY format: signature, flags, then per row a field count and each field as
/// a length-prefixed value (−1 for NULL), then −1 as the trailer.
enum BinaryCopyEncoder {
    static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
    static let trailer: [UInt8] = [0xFF, 0xFF]

    static func append(_ row: [PGValue], to buffer: inout [UInt8]) {
        withUnsafeBytes(of: Int16(row.count).bigEndian) { buffer += $0 }
        for value in row {
            if let bytes = value.binary {
                withUnsafeBytes(of: Int32(bytes.count).bigEndian) { buffer += $0 }
                buffer += bytes
            } else {
                withUnsafeBytes(of: Int32(-1).bigEndian) { buffer += $0 }
            }
        }
    }
}
