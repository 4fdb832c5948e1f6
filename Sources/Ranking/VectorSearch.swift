import COpenBLAS

/// Exact search of one query vector against every row of a matrix: one SGEMV for the cosines
/// (rows and query L2-normalised), then the best `k` rows that `accept` lets through.
public enum VectorSearch {
    public static func top(_ query: [Float], in m: VectorMatrix, k: Int, accept: (Int32) -> Bool = { _ in true }) -> [ExactNeighbours.Neighbour] {
        precondition(query.count == m.dims, "a \(query.count)-d query against \(m.dims)-d vectors")
        guard m.count > 0, k > 0 else { return [] }
        var scores = [Float](repeating: 0, count: m.count)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(m.count), Int32(m.dims), 1, m.values, Int32(m.dims), query, 1, 0, &scores, 1)
        var heap = TopK(k: k)
        for (i, s) in scores.enumerated() where s >= heap.threshold && accept(Int32(i)) { heap.insert(s, Int32(i)) }
        return heap.neighbours
    }
}
