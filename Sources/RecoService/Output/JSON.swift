import Catalog
import Embedding
import Foundation

/// Minimal JSON text building with a fixed key order, for line-oriented output.
enum JSON {
    static func string(_ s: String) -> String { JSONText.string(s) }

    /// Shortest text that reads back as the same Float.
    static func number(_ x: Float) -> String { x.isFinite ? "\(x)" : "null" }
    static func number(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }

    static func array(_ xs: [Float]) -> String { "[" + xs.map(number).joined(separator: ",") + "]" }

    /// An object from ordered (key, already-encoded value) pairs.
    static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    static func error(_ error: any Error) -> String {
        let coded = error as? any CodedError
        return object([("code", string(coded?.code ?? "error")), ("message", string("\(error)"))])
    }
}
