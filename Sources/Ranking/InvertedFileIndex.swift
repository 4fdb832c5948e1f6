import COpenBLAS
import Foundation

/// Search for very large catalogs: the approximate path's k-means cells (issue 4) as an inverted
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
        let count = max(1, min(m.count, parameters.lists ?? Int(4 * Double(m.count).squareRoot())))
        centroids = ApproximateNeighbours.train(m, cells: count, parameters: parameters, workers: workers)
        var cells = [[Int32]](repeating: [], count: count)
        for (row, cell) in ApproximateNeighbours.nearestCells(m, centroids: centroids, count: 1, workers: workers)
            .enumerated()
        {
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
        -> [ExactNeighbours.Neighbour]
    {
        precondition(
            query.count == m.dims && query.count == centroids.dims,
            "a \(query.count)-d query against \(m.dims)-d vectors")
        guard m.count > 0, k > 0 else { return [] }
        var cellScores = [Float](repeating: 0, count: centroids.count)
        cblas_sgemv(
            CblasRowMajor, CblasNoTrans, Int32(centroids.count), Int32(m.dims), 1, centroids.values, Int32(m.dims),
            query, 1, 0, &cellScores, 1)
        let order = cellScores.indices.sorted { cellScores[$0] > cellScores[$1] }
        let minimumAccepted = 4 * k
        var heap = TopK(k: k)
        var accepted = 0
        m.values.withUnsafeBufferPointer { v in
            for (probed, cell) in order.enumerated() {
                if probed >= probes && accepted >= minimumAccepted { break }
                for row in cells[cell] where accept(row) {
                    accepted += 1
                    heap.insert(cblas_sdot(Int32(m.dims), v.baseAddress! + Int(row) * m.dims, 1, query, 1), row)
                }
            }
        }
        return heap.neighbours
    }
}
