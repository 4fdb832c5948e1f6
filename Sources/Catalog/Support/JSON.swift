import Embedding
import Foundation

/// JSON text built by hand, with a fixed key order: for line-oriented output and for the one
/// answer where building bytes directly is measured to matter (`/similar`). Everything else
/// encodes `Codable` values.
public enum JSON {
    public static func string(_ s: String) -> String {
        // Most text needs no escaping: one pass over the bytes decides.
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + s + "\""
        }
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Shortest text that reads back as the same number.
    public static func number(_ x: Float) -> String { x.isFinite ? x.description : "null" }
    public static func number(_ x: Double) -> String { x.isFinite ? x.description : "null" }

    public static func array(_ xs: [Float]) -> String { "[" + xs.map(number).joined(separator: ",") + "]" }

    /// An object from ordered (key, already-encoded value) pairs.
    public static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    /// A `Codable` value as one line: snake_case keys, sorted, slashes unescaped.
    public static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    public static func error(_ error: any Error) -> String {
        let coded = error as? any CodedError
        return object([("code", string(coded?.code ?? "error")), ("message", string("\(error)"))])
    }
}
