import Foundation

/// Search for very large catalogs: the approximate path's k-means cells as an inverted
/// file. A query ranks the cells by cosine to their centroids and scores, exactly, only the rows
/// of its `probes` best cells — a few percent of the catalog instead of all of it.
public struct InvertedFileIndex: Sendable {
    public let probes: Int
    let centroids: VectorMatrix
    /// Rows of each cell.
    let cells: [[Int32]]

    public init(
        _ m: VectorMatrix, parameters: ApproximateNeighbours.Parameters = ApproximateNeighbours.Parameters(probes: 16),
        workers: Int = ProcessInfo.processInfo.activeProcessorCount
    ) {
        let count = parameters.lists.map { max(1, min(m.count, $0)) } ?? KMeans.defaultCells(m.count)
        centroids = parameters.train(m, cells: count, workers: workers)
        var cells = [[Int32]](repeating: [], count: count)
        for (row, cell) in KMeans.nearest(m, centroids: centroids, count: 1, workers: workers).enumerated() {
            cells[Int(cell)].append(Int32(row))
        }
        self.cells = cells
        probes = min(parameters.probes, count)
    }

    public var cellCount: Int { cells.count }

    /// The best `k` rows of `m` (the matrix the index was built on) that `accept` lets through,
    /// by exact cosine, among the rows of the nearest cells: at least `probes` of them, and more
    /// until `minimumAccepted` rows have passed the filter (a photo unlike the catalog, or a narrow
    /// filter, can find the nearest cells nearly empty), at worst every cell.
    public func top(_ query: [Float], in m: VectorMatrix, k: Int, accept: (Int32) -> Bool = { _ in true })
        -> [Neighbour]
    {
        precondition(
            query.count == m.dims && query.count == centroids.dims,
            "a \(query.count)-d query against \(m.dims)-d vectors")
        guard m.count > 0, k > 0 else { return [] }
        let cellScores = centroids.cosines(query)
        let order = cellScores.indices.sorted { cellScores[$0] > cellScores[$1] }
        let minimumAccepted = 4 * k
        var heap = TopK(k: k)
        var accepted = 0
        for (probed, cell) in order.enumerated() {
            if probed >= probes && accepted >= minimumAccepted { break }
            let admitted = cells[cell].filter(accept)
            accepted += admitted.count
            for (row, score) in m.cosines(query, rows: admitted) { heap.insert(score, row) }
        }
        return heap.neighbours
    }
}
