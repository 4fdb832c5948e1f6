import Compute

/// What search by image keeps in a snapshot: the active items' vectors as int8 codes only (row →
/// item) and, for large catalogs, an inverted file over them. Their scores are approximate; a
/// search re-ranks its candidates exactly from the float32 vectors stored in PostgreSQL, read by
/// key (a fifth of the memory of holding float32 too: 1.3 KB rather than 6.4 KB per 1280-d item).
public struct SearchVectors: Sendable {
    public let vectors: QuantizedVectors
    /// Row → item index.
    let items: [Int32]
    let index: InvertedFileIndex?

    public var dims: Int { vectors.dims }
    public var count: Int { vectors.count }
    /// Bytes of the codes, scales and row → item map (the index's cells add 4 bytes a row).
    public var bytes: Int { vectors.bytes + items.count * MemoryLayout<Int32>.stride * (index == nil ? 1 : 2) }

    /// `m`'s rows, row `r` being item `items[r]`; an inverted file from `indexAbove` rows on.
    public init(_ m: VectorMatrix, items: [Int32], indexAbove: Int = .max) {
        var builder = Builder(dims: m.dims, reservingRows: m.count)
        for (r, item) in items.enumerated() { builder.append(item: item, vector: m.row(r)) }
        self = builder.finish(indexAbove: indexAbove)
    }

    private init(vectors: QuantizedVectors, items: [Int32], index: InvertedFileIndex?) {
        self.vectors = vectors
        self.items = items
        self.index = index
    }

    /// Quantises vectors as they arrive: the float32 ones are never all in memory.
    public struct Builder {
        private var vectors: QuantizedVectors
        private var items: [Int32] = []

        public init(dims: Int, reservingRows rows: Int) {
            vectors = QuantizedVectors(dims: dims, reservingRows: rows)
            items.reserveCapacity(rows)
        }

        public mutating func append(item: Int32, vector: some Collection<Float>) {
            vectors.append(vector)
            items.append(item)
        }

        /// An inverted file of 4√N cells from `indexAbove` rows on. √N cells would load faster
        /// (assigning the rows costs N · cells · d: at 1 M, ready in 58 s instead of 100 s) but
        /// left one cell of 88,000 rows on the benchmark data, and searches near it scanned 16 %
        /// of the catalog (p50 70 ms instead of 19 ms).
        public func finish(indexAbove: Int) -> SearchVectors {
            let indexed = vectors.count >= max(1, indexAbove)
            return SearchVectors(vectors: vectors, items: items, index: indexed ? InvertedFileIndex(vectors) : nil)
        }
    }

    /// The best `count` items that `accept` lets through, by approximate (int8) score, best first.
    func candidates(_ query: [Float], count: Int, accept: (Int32) -> Bool) -> [Neighbour] {
        precondition(query.count == dims, "a \(query.count)-d query against \(dims)-d vectors")
        guard self.count > 0, count > 0 else { return [] }
        let rows: [Neighbour] = withoutActuallyEscaping(accept) { accept in
            let admits = { (row: Int32) in accept(items[Int(row)]) }
            if let index { return index.top(query, in: vectors, k: count, accept: admits) }
            var scores = [Float](repeating: 0, count: self.count)
            vectors.scores(query, into: &scores, threads: ForkJoin.shared.width)
            var heap = TopK(k: count)
            for (r, s) in scores.enumerated() where s >= heap.threshold && admits(Int32(r)) { heap.insert(s, Int32(r)) }
            return heap.neighbours
        }
        return rows.map { Neighbour(index: items[Int($0.index)], score: $0.score) }
    }
}

/// Exact cosines of a search's query with the stored vectors of the candidate items it could
/// read; nil when it could read none (the approximate scores then stand).
public typealias ExactScores = @Sendable (_ items: [Int32]) -> [Int32: Float]?
