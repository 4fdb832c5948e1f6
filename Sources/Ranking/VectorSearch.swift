/// Exact search of one query vector against every row of a matrix: one SGEMV for the cosines
/// (rows and query L2-normalised), then the best `k` rows that `accept` lets through.
public enum VectorSearch {
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
