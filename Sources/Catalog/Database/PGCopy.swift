import CLibPQ
import Foundation

/// Binary COPY in both directions: bulk writes, and reads of any size in bounded memory.
extension PGConnection {
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
