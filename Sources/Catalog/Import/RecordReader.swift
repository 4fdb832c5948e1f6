import Foundation

/// One field of an input row: CSV fields are text; JSON Lines keep their JSON type.
public enum FieldValue: Sendable, Equatable {
    /// `text` without surrounding white space. Most fields have none: checking the edge bytes
    /// first skips Foundation's trimming, which was a quarter of a million-row views import.
    var trimmedText: String? {
        guard let text else { return nil }
        func edge(_ byte: UInt8?) -> Bool { byte.map { $0 == 0x20 || $0 == 0x09 || $0 >= 0x80 } ?? false }
        return edge(text.utf8.first) || edge(text.utf8.last) ? text.trimmingCharacters(in: .whitespaces) : text
    }

    case text(String)
    case bool(Bool)
    case number(String)
    case null
    /// A JSON array or object, as JSON text.
    case json(String)

    /// The value as JSON text, for the attributes column.
    var jsonText: String {
        switch self {
        case .text(let s): JSON.string(s)
        case .bool(let b): b ? "true" : "false"
        case .number(let n): n
        case .null: "null"
        case .json(let j): j
        }
    }

    var containsNUL: Bool {
        switch self {
        case .text(let s): s.utf8.contains(0)
        case .json(let j): j.contains("\\u0000")
        case .bool, .number, .null: false
        }
    }

    var text: String? {
        switch self {
        case .text(let s): s
        case .number(let n): n
        case .bool(let b): b ? "true" : "false"
        case .null, .json: nil
        }
    }
}

/// A row that could not be used, with where it was and why.
public struct RowError: Error, Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let reason: String
    public init(line: Int, _ reason: String) {
        self.line = line
        self.reason = reason
    }
    public var description: String { "line \(line): \(reason)" }
}

public enum InputFormat: String, Sendable, CaseIterable {
    case csv, jsonl

    /// From the file name: .jsonl/.ndjson/.json are JSON Lines, anything else CSV.
    public static func guess(_ path: String) -> InputFormat {
        let ext = (path as NSString).pathExtension.lowercased()
        return ["jsonl", "ndjson", "json"].contains(ext) ? .jsonl : .csv
    }
}

/// Streams the rows of a CSV file (with a header row) or a JSON Lines file as field dictionaries,
/// each with its line number; a malformed row is reported and reading goes on.
public enum RecordReader {
    public static func read(
        path: String, format: InputFormat, _ body: (Int, Result<[String: FieldValue], RowError>) throws -> Void
    ) throws {
        guard FileManager.default.isReadableFile(atPath: path) else { throw ImportError.unreadable(path) }
        switch format {
        case .csv: try readCSV(path, body)
        case .jsonl: try readJSONLines(path, body)
        }
    }

    static func readCSV(_ path: String, _ body: (Int, Result<[String: FieldValue], RowError>) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ImportError.unreadable(path) }
        defer { try? handle.close() }
        var records = CSVRecords(handle: handle)
        guard let (_, first) = try records.next(), case .fields(let header) = first,
            !header.isEmpty, header.allSatisfy({ !$0.isEmpty })
        else {
            throw ImportError.badHeader("\(path): the first row must name the columns")
        }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        while let (line, outcome) = try records.next() {
            switch outcome {
            case .bad(let reason):
                try body(line, .failure(RowError(line: line, reason)))
            case .fields(let row) where row.count != names.count:
                try body(line, .failure(RowError(line: line, "has \(row.count) fields, the header has \(names.count)")))
            case .fields(let row):
                var fields: [String: FieldValue] = [:]
                for (name, value) in zip(names, row) { fields[name] = .text(value) }
                try body(line, .success(fields))
            }
        }
    }

    static func readJSONLines(_ path: String, _ body: (Int, Result<[String: FieldValue], RowError>) throws -> Void)
        throws
    {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ImportError.unreadable(path) }
        defer { try? handle.close() }
        var line = 0
        var pending = Data()
        func emit(_ bytes: Data) throws {
            line += 1
            let trimmed = bytes.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
            if trimmed.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
            try body(line, parseJSONObject(Data(trimmed), line: line))
        }
        while true {
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: 0x0A) {
                try emit(pending[pending.startIndex..<newline])
                pending.removeSubrange(pending.startIndex...newline)
            }
        }
        if !pending.isEmpty { try emit(pending) }
    }

    static func parseJSONObject(_ data: Data, line: Int) -> Result<[String: FieldValue], RowError> {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            return .failure(RowError(line: line, "not valid JSON"))
        }
        guard let fields = value.objectFields else { return .failure(RowError(line: line, "not a JSON object")) }
        // PostgreSQL text and jsonb cannot hold NUL: refused here, with its line, not by the database.
        if let key = fields.keys.sorted().first(where: { fields[$0]!.containsNUL }) {
            return .failure(RowError(line: line, "\(key) contains a NUL character"))
        }
        return .success(fields)
    }
}

/// A parsed JSON value that keeps booleans, integers and numbers apart.
indirect enum JSONValue: Decodable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .integer(i)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    var text: String {
        switch self {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .integer(let i): "\(i)"
        case .number(let d): "\(d)"
        case .string(let s): JSON.string(s)
        case .array(let a): "[" + a.map(\.text).joined(separator: ",") + "]"
        case .object(let o):
            "{" + o.keys.sorted().map { JSON.string($0) + ":" + o[$0]!.text }.joined(separator: ",") + "}"
        }
    }

    /// An object's members as input fields (names lower-cased), nil if not an object.
    var objectFields: [String: FieldValue]? {
        guard case .object(let dict) = self else { return nil }
        var fields: [String: FieldValue] = [:]
        for (key, value) in dict { fields[key.lowercased()] = value.field }
        return fields
    }

    var field: FieldValue {
        switch self {
        case .null: .null
        case .bool(let b): .bool(b)
        case .integer(let i): .number("\(i)")
        case .number(let d): .number("\(d)")
        case .string(let s): .text(s)
        case .array, .object: .json(text)
        }
    }
}

public enum ImportError: Error, CustomStringConvertible, Equatable {
    case unreadable(String)
    case badHeader(String)
    case missingColumn(String)

    public var description: String {
        switch self {
        case .unreadable(let what): "cannot read \(what)"
        case .badHeader(let what): "bad header: \(what)"
        case .missingColumn(let name): "the input has no \(name) column"
        }
    }
}
