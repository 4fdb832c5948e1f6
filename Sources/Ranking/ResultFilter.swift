/// What a caller may ask to leave out of similar items.
public struct ResultFilter<ID: Hashable & Sendable>: Sendable {
    public enum Category: Sendable, Equatable {
        case any
        /// The query item's category.
        case same
        case named(String)
    }

    public var category: Category = .any
    public var exclude: Set<ID> = []
    /// Only items in stock (active items only, always).
    public var inStockOnly = true
    public var minScore: Double?

    public init(category: Category = .any, exclude: Set<ID> = [], inStockOnly: Bool = true, minScore: Double? = nil) {
        self.category = category
        self.exclude = exclude
        self.inStockOnly = inStockOnly
        self.minScore = minScore
    }

    /// Whether an item may be shown (its score aside): active, not excluded, in stock if asked,
    /// and of the asked category; `.same` is `queryCategory`, the query item's.
    public func admits(_ id: ID, _ facts: ItemFacts, queryCategory: String?) -> Bool {
        guard facts.active, !exclude.contains(id), !inStockOnly || facts.inStock else { return false }
        switch category {
        case .any: return true
        case .same: return facts.category == queryCategory
        case .named(let name): return facts.category == name
        }
    }
}

/// What filtering needs to know of an item.
public struct ItemFacts: Sendable, Equatable {
    public let category: String
    public let active: Bool
    public let inStock: Bool
    /// sha256 of the image last embedded, if any.
    public let imageHash: [UInt8]?

    public init(category: String, active: Bool = true, inStock: Bool = true, imageHash: [UInt8]? = nil) {
        self.category = category
        self.active = active
        self.inStock = inStock
        self.imageHash = imageHash
    }
}

extension ResultFilter {
    /// Drops the query item itself, unknown and inactive items, out-of-stock ones (by default),
    /// other categories, excluded ids and low scores; then collapses near-duplicates (same image
    /// bytes, or image cosine ≥ the threshold) to the best-ranked one. Order is kept. Stops once
    /// `limit` results are kept (a page needs no more, and the duplicate check grows with them).
    public func apply(
        _ results: [BlendedResult<ID>],
        item: ID,
        facts: (ID) -> ItemFacts?,
        imageCosine: (ID, ID) -> Float? = { _, _ in nil },
        duplicateCosine: Float = 0.995,
        limit: Int = .max
    ) -> [BlendedResult<ID>] {
        let queryCategory = facts(item)?.category
        var kept: [BlendedResult<ID>] = []
        var images = SameImage()
        for r in results {
            guard r.id != item, let f = facts(r.id), admits(r.id, f, queryCategory: queryCategory) else {
                continue
            }
            if let min = minScore, r.score < min { continue }
            if images.seenBefore(f) { continue }
            if kept.contains(where: { (imageCosine($0.id, r.id) ?? -1) >= duplicateCosine }) { continue }
            kept.append(r)
            if kept.count >= limit { break }
        }
        return kept
    }
}

/// Items that share one image (the same content hash: one photo listed under several items):
/// walked best first, only the first of them is kept.
struct SameImage {
    private var hashes = Set<[UInt8]>()

    /// Whether an earlier item had this item's image (and notes it otherwise).
    mutating func seenBefore(_ facts: ItemFacts) -> Bool {
        guard let hash = facts.imageHash else { return false }
        return !hashes.insert(hash).inserted
    }
}
