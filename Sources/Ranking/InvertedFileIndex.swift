import Foundation

/// Search for very large catalogs: k-means cells over the int8 vectors as an inverted file. A
/// query ranks the cells by cosine to their centroids and scores only the rows of its `probes`
/// best cells — a few percent of the catalog instead of all of it.
public struct InvertedFileIndex: Sendable {
    public let probes: Int
    let centroids: VectorMatrix
    /// Rows of each cell.
    let cells: [[Int32]]

    /// Centroids trained on a sample of the decoded rows; every row assigned by its codes, in
    /// chunks, so no float32 copy ever exists whole.
    public init(
        _ v: QuantizedVectors, parameters p: ApproximateNeighbours.Parameters = .init(probes: 16),
        workers: Int = ProcessInfo.processInfo.activeProcessorCount
    ) {
        let count = p.lists.map { max(1, min(v.count, $0)) } ?? KMeans.defaultCells(v.count)
        var rng = SplitMix64(seed: p.seed)
        let sample = (0..<min(v.count, max(count, p.sample))).map { _ in Int(rng.next() % UInt64(v.count)) }
        let training = v.decoded(sample)
        centroids = p.train(training, cells: count, workers: workers)
        var cells = [[Int32]](repeating: [], count: count)
        let chunk = 16_384
        for start in stride(from: 0, to: v.count, by: chunk) {
            let rows = start..<min(v.count, start + chunk)
            let nearest = KMeans.nearest(v.codes(rows), centroids: centroids, count: 1, workers: workers, codes: true)
            for (offset, cell) in nearest.enumerated() { cells[Int(cell)].append(Int32(start + offset)) }
        }
        self.cells = cells
        probes = min(p.probes, count)
    }

    public var cellCount: Int { cells.count }

    /// The best `k` rows of `v` (the vectors the index was built on) that `accept` lets through,
    /// by int8 score, among the rows of the nearest cells: at least `probes` of them, and more
    /// until `minimumAccepted` rows have passed the filter (a photo unlike the catalog, or a narrow
    /// filter, can find the nearest cells nearly empty), at worst every cell.
    public func top(_ query: [Float], in v: QuantizedVectors, k: Int, accept: (Int32) -> Bool = { _ in true })
        -> [Neighbour]
    {
        precondition(
            query.count == v.dims && query.count == centroids.dims,
            "a \(query.count)-d query against \(v.dims)-d vectors")
        guard v.count > 0, k > 0 else { return [] }
        let cellScores = centroids.cosines(query)
        let order = cellScores.indices.sorted { cellScores[$0] > cellScores[$1] }
        let q = QuantizedVectors.Query(query)
        let minimumAccepted = 4 * k
        var heap = TopK(k: k)
        var accepted = 0
        for (probed, cell) in order.enumerated() {
            if probed >= probes && accepted >= minimumAccepted { break }
            for row in cells[cell] where accept(row) {
                accepted += 1
                heap.insert(v.score(q, row: Int(row)), row)
            }
        }
        return heap.neighbours
    }
}
