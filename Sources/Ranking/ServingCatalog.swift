import Compute

/// One immutable snapshot of everything `/similar` needs, held in memory by the service: the
/// items, each item's precomputed image neighbours and co-view neighbours, co-view evidence and
/// category popularity. Items are addressed by a dense index; ids are text only at the edges.
public struct ServingCatalog: Sendable {
    public struct Item: Sendable, Equatable {
        public let id: String
        public let title: String
        public let imageURI: String?
        public let facts: ItemFacts

        public init(id: String, title: String = "", imageURI: String? = nil, facts: ItemFacts) {
            self.id = id
            self.title = title
            self.imageURI = imageURI
            self.facts = facts
        }
    }

    /// The model identifier the image neighbours were computed with (nil: none yet).
    public let model: String?
    /// The active items' current vectors for `model` as search by image holds them (int8).
    public let searchVectors: SearchVectors?
    public let items: [Item]
    private let index: [String: Int32]
    /// Per item, best first.
    public let imageNeighbours: FlatLists<Neighbour>
    public let coviewNeighbours: FlatLists<CoViewNeighbour>
    /// Per item, sessions that viewed it.
    public let evidence: [Int32]
    /// Per item, its best image neighbour's cosine: the duplicate check skips the lists of items
    /// whose best is below the threshold without touching them.
    private let bestImageScore: [Float]
    public let itemsWithImageNeighbours: Int
    public let itemsWithCoViews: Int
    /// Per category, its active items by sessions that viewed them, most first.
    private let popularByCategory: [String: [(id: Int32, views: Int)]]

    /// Lists are indexed like `items`; missing trailing lists are empty.
    public init(
        model: String?, items: [Item], imageNeighbours: [[Neighbour]], coviewNeighbours: [[CoViewNeighbour]],
        evidence: [Int32],
        vectors: (matrix: VectorMatrix, items: [Int32])? = nil, searchIndexAbove: Int = .max
    ) {
        self.init(
            model: model, items: items, imageNeighbours: FlatLists(imageNeighbours, count: items.count),
            coviewNeighbours: FlatLists(coviewNeighbours, count: items.count), evidence: evidence,
            searchVectors: vectors.map { SearchVectors($0.matrix, items: $0.items, indexAbove: searchIndexAbove) })
    }

    /// Lists already flat, one per item. `itemIndex`, when given, is `items`' id → index map
    /// (a refresh that kept the items keeps it too).
    public init(
        model: String?, items: [Item], imageNeighbours: FlatLists<Neighbour>,
        coviewNeighbours: FlatLists<CoViewNeighbour>, evidence: [Int32], searchVectors: SearchVectors? = nil,
        itemIndex: [String: Int32]? = nil
    ) {
        precondition(imageNeighbours.count == items.count && coviewNeighbours.count == items.count)
        self.model = model
        self.searchVectors = searchVectors
        self.items = items
        precondition(itemIndex == nil || itemIndex?.count == items.count)
        self.index = itemIndex ?? Self.index(items)
        self.imageNeighbours = imageNeighbours
        self.coviewNeighbours = coviewNeighbours
        self.itemsWithImageNeighbours = imageNeighbours.reduce(0) { $0 + ($1.isEmpty ? 0 : 1) }
        self.bestImageScore = imageNeighbours.map { $0.first?.score ?? -1 }
        self.itemsWithCoViews = coviewNeighbours.reduce(0) { $0 + ($1.isEmpty ? 0 : 1) }
        // Padded only when short: a refresh that kept the co-views shares this array.
        let views =
            evidence.count >= items.count
            ? evidence : evidence + Array(repeating: 0, count: items.count - evidence.count)
        self.evidence = views
        var popular: [String: [(id: Int32, views: Int)]] = [:]
        for (i, item) in items.enumerated() where item.facts.active && views[i] > 0 {
            popular[item.facts.category, default: []].append((Int32(i), Int(views[i])))
        }
        // Enough for any page of results after filtering; ties by index (stable answers).
        self.popularByCategory = popular.mapValues { list in
            Array(list.sorted { $0.views != $1.views ? $0.views > $1.views : $0.id < $1.id }.prefix(500))
        }
    }

    public static let empty = ServingCatalog(
        model: nil, items: [], imageNeighbours: [], coviewNeighbours: [], evidence: [])

    /// Bytes held, by part (array elements; per-item strings and dictionary overhead excluded):
    /// what `reco serve` logs at each load.
    public var bytesByPart: KeyValuePairs<String, Int> {
        [
            "image_lists": imageNeighbours.bytes, "coview_lists": coviewNeighbours.bytes,
            "int8_vectors": searchVectors?.bytes ?? 0,
        ]
    }

    public func index(of id: String) -> Int32? { index[id] }
    /// Each item's id → its position in `items`.
    public static func index(_ items: [Item]) -> [String: Int32] {
        var index: [String: Int32] = [:]
        index.reserveCapacity(items.count)
        for (i, item) in items.enumerated() { index[item.id] = Int32(i) }
        return index
    }

    /// Item id → index, for everything (a refresh's lists) addressed by the same items.
    public var itemIndex: [String: Int32] { index }
    public func item(_ i: Int32) -> Item { items[Int(i)] }

    /// The item's similar items: image ∪ co-view neighbours blended, or its category's most viewed
    /// items when it has neither signal; then filtered and paged.
    public func similar(to item: Int32, filter: ResultFilter<Int32>, config: BlendConfig, offset: Int, limit: Int)
        -> SimilarAnswer
    {
        let i = Int(item)
        let image = imageNeighbours[i].map { (id: $0.index, cosine: $0.score) }
        let coview = coviewNeighbours[i].map { (id: $0.item, score: $0.score, sessions: Int($0.sessions)) }
        let fallback = image.isEmpty && coview.isEmpty
        let candidates =
            fallback
            ? Blender.fallback(item: item, popular: popularByCategory[items[i].facts.category] ?? [])
            : Blender.blend(item: item, image: image, coview: coview, evidence: Int(evidence[i]), config: config)
        // The filter reads the facts of the first candidates, scattered over the snapshot: ask for
        // them all at once so their cache misses overlap.
        items.withUnsafeBufferPointer { items in
            bestImageScore.withUnsafeBufferPointer { best in
                for c in candidates.prefix(2 * (offset + limit)) {
                    Prefetch.element(Int(c.id), of: items)
                    Prefetch.element(Int(c.id), of: best)
                }
            }
        }
        let kept = filter.apply(
            candidates, item: item, facts: { items[Int($0)].facts },
            imageCosine: nearDuplicateCosine(threshold: config.duplicateCosine),
            duplicateCosine: config.duplicateCosine, limit: offset + limit)
        let page = Array(kept.dropFirst(offset).prefix(limit))
        return SimilarAnswer(results: page, fallback: fallback, evidence: Int(evidence[i]))
    }

    /// Items ranked by cosine to a unit query vector (of `model`), filtered like `/similar`
    /// (there is no query item: `.same` category means any). The int8 scan's best candidates are
    /// re-ranked by `exact`; without it (or when it cannot read them) their int8 scores stand.
    public func search(_ query: [Float], filter: ResultFilter<Int32>, limit: Int, exact: ExactScores? = nil)
        -> [Neighbour]
    {
        guard let searchVectors, query.count == searchVectors.dims, limit > 0 else { return [] }
        var filter = filter
        if filter.category == .same { filter.category = .any }
        let accept = { [filter] (item: Int32) -> Bool in filter.admits(item, items[Int(item)].facts, queryCategory: nil)
        }
        // More than asked: identical images (the same content hash: one photo listed under several
        // items) collapse to the best-ranked one as on /similar and the page stays full, and the
        // exact scores may reorder the int8 ones near the cut.
        var found = searchVectors.candidates(query, count: limit + Self.searchSlack + Self.rerank, accept: accept)
        if let exact, let scores = exact(found.map(\.index)) {
            found = found.map { Neighbour(index: $0.index, score: scores[$0.index] ?? $0.score) }
            found.sort { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
        }
        var images = SameImage()
        var results: [Neighbour] = []
        for n in found where results.count < limit {
            if let min = filter.minScore, Double(n.score) < min { continue }
            if images.seenBefore(items[Int(n.index)].facts) { continue }
            results.append(n)
        }
        return results
    }

    static let searchSlack = 16
    /// Candidates beyond the page re-ranked exactly: int8 scores are within ~1e-3 of the exact
    /// ones, far less than the score gap this many places down a list.
    static let rerank = 32

    /// Image cosine of a pair when it is at least `threshold`, read from the precomputed lists:
    /// they are sorted, so only their short head can hold a near-duplicate.
    private func nearDuplicateCosine(threshold: Float) -> (Int32, Int32) -> Float? {
        { a, b in
            func head(_ list: ArraySlice<Neighbour>, has other: Int32) -> Float? {
                for n in list {
                    guard n.score >= threshold else { return nil }
                    if n.index == other { return n.score }
                }
                return nil
            }
            guard bestImageScore[Int(a)] >= threshold || bestImageScore[Int(b)] >= threshold else { return nil }
            return head(imageNeighbours[Int(a)], has: b) ?? head(imageNeighbours[Int(b)], has: a)
        }
    }
}

public struct SimilarAnswer: Sendable, Equatable {
    public let results: [BlendedResult<Int32>]
    /// True when the results are the category's popular items (no image or co-view signal).
    public let fallback: Bool
    /// The query item's co-view evidence (sessions that viewed it).
    public let evidence: Int
}
