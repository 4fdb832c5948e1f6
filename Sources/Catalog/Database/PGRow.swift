import Foundation

/// A column of a row: by name (`row.string("id")`, query results) or by position (`row.string(0)`,
/// COPY rows, whose columns have no names).
public enum PGColumn: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, CustomStringConvertible {
    case name(String)
    case position(Int)

    public init(stringLiteral name: String) { self = .name(name) }
    public init(integerLiteral position: Int) { self = .position(position) }

    public var description: String {
        switch self {
        case .name(let name): name
        case .position(let i): "#\(i)"
        }
    }
}

/// One result row, decoded, read through one set of typed accessors.
public struct PGRow: Sendable {
    public let columns: [String]
    public let values: [PGValue]

    public subscript(_ column: PGColumn) -> PGValue {
        switch column {
        case .position(let i): return values.indices.contains(i) ? values[i] : .null
        case .name(let name):
            guard let i = columns.firstIndex(of: name) else { return .null }
            return values[i]
        }
    }

    public func string(_ column: PGColumn) throws -> String {
        switch self[column] {
        case .text(let s), .jsonb(let s): return s
        default: throw mismatch(column, "text")
        }
    }

    public func optionalString(_ column: PGColumn) throws -> String? { self[column].isNull ? nil : try string(column) }

    public func strings(_ column: PGColumn) throws -> [String] {
        guard case .textArray(let items) = self[column] else { throw mismatch(column, "text[]") }
        return items
    }

    public func int(_ column: PGColumn) throws -> Int {
        switch self[column] {
        case .int32(let v): return Int(v)
        case .int64(let v): return Int(v)
        default: throw mismatch(column, "integer")
        }
    }

    public func optionalInt(_ column: PGColumn) throws -> Int? { self[column].isNull ? nil : try int(column) }

    public func bool(_ column: PGColumn) throws -> Bool {
        guard case .bool(let b) = self[column] else { throw mismatch(column, "boolean") }
        return b
    }

    public func double(_ column: PGColumn) throws -> Double {
        switch self[column] {
        case .float64(let v): return v
        case .int32(let v): return Double(v)
        case .int64(let v): return Double(v)
        default: throw mismatch(column, "double")
        }
    }

    public func bytes(_ column: PGColumn) throws -> [UInt8] {
        guard case .bytea(let b) = self[column] else { throw mismatch(column, "bytea") }
        return b
    }

    public func optionalBytes(_ column: PGColumn) throws -> [UInt8]? { self[column].isNull ? nil : try bytes(column) }

    public func date(_ column: PGColumn) throws -> Date {
        guard case .timestamp(let d) = self[column] else { throw mismatch(column, "timestamp") }
        return d
    }

    public func optionalDate(_ column: PGColumn) throws -> Date? { self[column].isNull ? nil : try date(column) }

    private func mismatch(_ column: PGColumn, _ type: String) -> PostgresError {
        PostgresError(.decoding, "column \(column) is \(self[column]), not \(type)")
    }
}
