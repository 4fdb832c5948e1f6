import Ranking

/// The query string of `GET /items/{id}/similar`, validated: a bad value is rejected with the
/// parameter's name and what it must be.
struct SimilarParameters: Sendable, Equatable {
    static let maxLimit = 100
    static let maxOffset = 10_000
    static let names: Set<String> = [
        "limit", "offset", "w_image", "category", "exclude", "in_stock", "min_score", "explain",
    ]

    var limit = 20
    var offset = 0
    var imageWeight: Double?
    var category = ResultFilter<Int32>.Category.any
    var exclude: Set<String> = []
    var inStockOnly = true
    var minScore: Double?
    var explain = false

    struct Invalid: Error, Equatable { let message: String }

    init(_ query: [(name: String, value: String)]) throws(Invalid) {
        for (name, value) in query {
            switch name {
            case "limit": limit = try Self.limit(value)
            case "offset":
                guard let n = Int(value), (0...Self.maxOffset).contains(n) else {
                    throw Invalid(message: "offset must be a whole number from 0 to \(Self.maxOffset), not '\(value)'")
                }
                offset = n
            case "w_image":
                guard let w = Double(value), (0...1).contains(w) else {
                    throw Invalid(message: "w_image must be a number from 0 to 1, not '\(value)'")
                }
                imageWeight = w
            case "category":
                category = value.isEmpty ? .any : value == "same" ? .same : .named(value)
            case "exclude":
                exclude.formUnion(value.split(separator: ",").map { String($0) }.filter { !$0.isEmpty })
            case "in_stock": inStockOnly = try Self.inStock(value)
            case "min_score": minScore = try Self.minScore(value)
            case "explain":
                guard let b = Self.bool(value) else {
                    throw Invalid(message: "explain must be true or false, not '\(value)'")
                }
                explain = b
            default: throw Self.unknown(name, known: Self.names)
            }
        }
    }

    // Parsers shared with `POST /search/image`, so both refuse a value with the same words.

    static func limit(_ value: String) throws(Invalid) -> Int {
        guard let n = Int(value), n >= 1 else {
            throw Invalid(message: "limit must be a whole number ≥ 1, not '\(value)'")
        }
        return min(n, maxLimit)
    }

    static func inStock(_ value: String) throws(Invalid) -> Bool {
        guard let b = bool(value) else { throw Invalid(message: "in_stock must be true or false, not '\(value)'") }
        return b
    }

    static func minScore(_ value: String) throws(Invalid) -> Double? {
        guard let s = Double(value), s.isFinite else {
            throw Invalid(message: "min_score must be a number, not '\(value)'")
        }
        return s
    }

    static func unknown(_ name: String, known: Set<String>) -> Invalid {
        Invalid(message: "unknown parameter '\(name)' (known: \(known.sorted().joined(separator: ", ")))")
    }

    static func bool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "1", "yes": true
        case "false", "0", "no": false
        default: nil
        }
    }

    /// The filter over the snapshot's item indices (excluded ids unknown to it are dropped).
    func filter(in catalog: ServingCatalog) -> ResultFilter<Int32> {
        ResultFilter(
            category: category, exclude: Set(exclude.compactMap(catalog.index(of:))),
            inStockOnly: inStockOnly, minScore: minScore)
    }
}
