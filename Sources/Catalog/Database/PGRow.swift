import Foundation

/// One result row, decoded; columns by position or name.
public struct PGRow: Sendable {
    public let columns: [String]
    public let values: [PGValue]

    public subscript(_ index: Int) -> PGValue { values[index] }

    public subscript(_ name: String) -> PGValue {
        guard let i = columns.firstIndex(of: name) else { return .null }
        return values[i]
    }

    public func string(_ column: String) throws -> String {
        switch self[column] {
        case .text(let s), .jsonb(let s): return s
        default: throw mismatch(column, "text")
        }
    }

    public func optionalString(_ column: String) throws -> String? { self[column].isNull ? nil : try string(column) }

    public func strings(_ column: String) throws -> [String] {
        guard case .textArray(let items) = self[column] else { throw mismatch(column, "text[]") }
        return items
    }

    public func int(_ column: String) throws -> Int {
        switch self[column] {
        case .int32(let v): return Int(v)
        case .int64(let v): return Int(v)
        default: throw mismatch(column, "integer")
        }
    }

    public func optionalInt(_ column: String) throws -> Int? { self[column].isNull ? nil : try int(column) }

    public func bool(_ column: String) throws -> Bool {
        guard case .bool(let b) = self[column] else { throw mismatch(column, "boolean") }
        return b
    }

    public func double(_ column: String) throws -> Double {
        switch self[column] {
        case .float64(let v): return v
        case .int32(let v): return Double(v)
        case .int64(let v): return Double(v)
        default: throw mismatch(column, "double")
        }
    }

    public func bytes(_ column: String) throws -> [UInt8] {
        guard case .bytea(let b) = self[column] else { throw mismatch(column, "bytea") }
        return b
    }

    public func optionalBytes(_ column: String) throws -> [UInt8]? { self[column].isNull ? nil : try bytes(column) }

    public func date(_ column: String) throws -> Date {
        guard case .timestamp(let d) = self[column] else { throw mismatch(column, "timestamp") }
        return d
    }

    public func optionalDate(_ column: String) throws -> Date? { self[column].isNull ? nil : try date(column) }

    private func mismatch(_ column: String, _ type: String) -> PostgresError {
        PostgresError(.decoding, "column \(column) is \(self[column]), not \(type)")
    }
}
