import Foundation

/// A query parameter or result value, sent and received in PostgreSQL's binary format.
public enum PGValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int32(Int32)
    case int64(Int64)
    case float64(Double)
    case text(String)
    case bytea([UInt8])
    case timestamp(Date)
    case jsonb(String)
    /// text[]: one dimension, no NULL elements.
    case textArray([String])

    /// Type OIDs (pg_type.h).
    enum OID {
        static let bool: UInt32 = 16, bytea: UInt32 = 17, int8: UInt32 = 20, int2: UInt32 = 21, int4: UInt32 = 23
        static let text: UInt32 = 25, json: UInt32 = 114, float4: UInt32 = 700, float8: UInt32 = 701
        static let varchar: UInt32 = 1043, timestamp: UInt32 = 1114, timestamptz: UInt32 = 1184
        static let numeric: UInt32 = 1700, jsonb: UInt32 = 3802, name: UInt32 = 19, oid: UInt32 = 26,
            void: UInt32 = 2278
        static let textArray: UInt32 = 1009
    }

    /// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01).
    static let postgresEpochOffset: Int64 = 946_684_800_000_000

    var oid: UInt32 {
        switch self {
        case .null: 0
        case .bool: OID.bool
        case .int32: OID.int4
        case .int64: OID.int8
        case .float64: OID.float8
        case .text: OID.text
        case .bytea: OID.bytea
        case .timestamp: OID.timestamptz
        case .jsonb: OID.jsonb
        case .textArray: OID.textArray
        }
    }

    /// The binary wire encoding (nil for NULL).
    var binary: [UInt8]? {
        switch self {
        case .null: nil
        case .bool(let b): [b ? 1 : 0]
        case .int32(let v): withUnsafeBytes(of: v.bigEndian, Array.init)
        case .int64(let v): withUnsafeBytes(of: v.bigEndian, Array.init)
        case .float64(let v): withUnsafeBytes(of: v.bitPattern.bigEndian, Array.init)
        case .text(let s): Array(s.utf8)
        case .bytea(let bytes): bytes
        case .timestamp(let date):
            withUnsafeBytes(
                of: (Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) - Self.postgresEpochOffset).bigEndian,
                Array.init)
        case .jsonb(let json): [1] + Array(json.utf8)
        case .textArray(let items): Self.encodeTextArray(items)
        }
    }

    /// Reads a binary result value of type `oid`.
    static func decode(oid: UInt32, bytes: UnsafeRawBufferPointer) throws -> PGValue {
        func integer<T: FixedWidthInteger>(_: T.Type) throws -> T {
            guard bytes.count == MemoryLayout<T>.size else {
                throw PostgresError(
                    .decoding, "expected \(MemoryLayout<T>.size) bytes for OID \(oid), got \(bytes.count)")
            }
            return T(bigEndian: bytes.loadUnaligned(as: T.self))
        }
        switch oid {
        case OID.void: return .null
        case OID.bool: return .bool(try integer(UInt8.self) != 0)
        case OID.int2: return .int32(Int32(try integer(Int16.self)))
        case OID.int4: return .int32(try integer(Int32.self))
        case OID.oid: return .int64(Int64(try integer(UInt32.self)))
        case OID.int8: return .int64(try integer(Int64.self))
        case OID.float4: return .float64(Double(Float(bitPattern: try integer(UInt32.self))))
        case OID.float8: return .float64(Double(bitPattern: try integer(UInt64.self)))
        case OID.text, OID.varchar, OID.name, OID.json: return .text(String(decoding: bytes, as: UTF8.self))
        case OID.bytea: return .bytea(Array(bytes))
        case OID.timestamp, OID.timestamptz:
            let micros = try integer(Int64.self) + postgresEpochOffset
            return .timestamp(Date(timeIntervalSince1970: Double(micros) / 1_000_000))
        case OID.jsonb:
            guard bytes.first == 1 else { throw PostgresError(.decoding, "unknown jsonb version") }
            return .jsonb(String(decoding: bytes.dropFirst(), as: UTF8.self))
        case OID.textArray:
            return .textArray(try decodeTextArray(bytes))
        default:
            throw PostgresError(.decoding, "no binary decoder for type OID \(oid); cast the column to a supported type")
        }
    }

    public var isNull: Bool { self == .null }

    /// The array wire format: dimensions, a NULL flag, the element type, per dimension its size
    /// and lower bound, then each element as length + bytes.
    static func encodeTextArray(_ items: [String]) -> [UInt8] {
        var out: [UInt8] = []
        func int<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.bigEndian) { out += $0 } }
        guard !items.isEmpty else {
            int(Int32(0))
            int(Int32(0))
            int(OID.text)
            return out
        }
        int(Int32(1))
        int(Int32(0))
        int(OID.text)
        int(Int32(items.count))
        int(Int32(1))
        for item in items {
            let bytes = Array(item.utf8)
            int(Int32(bytes.count))
            out += bytes
        }
        return out
    }

    static func decodeTextArray(_ bytes: UnsafeRawBufferPointer) throws -> [String] {
        var at = 0
        func int32() throws -> Int32 {
            guard at + 4 <= bytes.count else { throw PostgresError(.decoding, "truncated array") }
            defer { at += 4 }
            return Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int32.self))
        }
        let dims = try int32()
        _ = try int32()  // has NULLs
        _ = try int32()  // element type
        guard dims <= 1 else {
            throw PostgresError(.decoding, "a \(dims)-dimensional array where one dimension was expected")
        }
        guard dims == 1 else { return [] }
        let count = try int32()
        _ = try int32()  // lower bound
        var items: [String] = []
        items.reserveCapacity(Int(count))
        for _ in 0..<count {
            let length = try int32()
            guard length >= 0 else { throw PostgresError(.decoding, "NULL in a text array") }
            guard at + Int(length) <= bytes.count else { throw PostgresError(.decoding, "truncated array") }
            items.append(
                String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<(at + Int(length))]), as: UTF8.self))
            at += Int(length)
        }
        return items
    }
}

extension PGValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .int64(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}
