/// Exact search of one query vector against every row of a matrix: one SGEMV for the cosines
/// (rows and query L2-normalised), then the best `k` rows that `accept` lets through. With an
/// int8 copy, the scan runs over it and the best `k + rerank` candidates are re-scored exactly.
public enum VectorSearch {
    /// Extra candidates re-scored exactly after an int8 scan: int8 scores are within ~1e-3 of
    /// the exact ones, far less than the score gap a hundred places down a list.
    public static let rerank = 100

    public static func top(
        _ query: [Float], in m: VectorMatrix, quantized: QuantizedVectors?, k: Int,
        accept: (Int32) -> Bool = { _ in true }
    ) -> [Neighbour] {
        guard let quantized else { return top(query, in: m, k: k, accept: accept) }
        precondition(
            query.count == m.dims && quantized.count == m.count, "a \(query.count)-d query against \(m.dims)-d vectors")
        guard m.count > 0, k > 0 else { return [] }
        var scores = [Float](repeating: 0, count: m.count)
        quantized.scores(query, into: &scores)
        var candidates = TopK(k: k + rerank)
        for (i, s) in scores.enumerated() where s >= candidates.threshold && accept(Int32(i)) {
            candidates.insert(s, Int32(i))
        }
        var heap = TopK(k: k)
        for (row, score) in m.cosines(query, rows: candidates.indices) { heap.insert(score, row) }
        return heap.neighbours
    }

    public static func top(_ query: [Float], in m: VectorMatrix, k: Int, accept: (Int32) -> Bool = { _ in true })
        -> [Neighbour]
    {
        guard m.count > 0, k > 0 else { return [] }
        let scores = m.cosines(query)
        var heap = TopK(k: k)
        for (i, s) in scores.enumerated() where s >= heap.threshold && accept(Int32(i)) { heap.insert(s, Int32(i)) }
        return heap.neighbours
    }
}
