import Compute
import Foundation

/// Approximate top-K cosine neighbours for catalogs too large for the exact N² pass: an
/// inverted-file (IVF) search over the same SGEMM kernel. Spherical k-means (on a sample) splits
/// the vectors into `lists` cells; each item is compared only with the members of its `probes`
/// nearest cells. Cost ≈ N · probes · (N / lists) · d instead of N² · d / 2, and recall is
/// measured, not assumed (`recall(_:exact:at:)`, ops/bench/neighbours).
public enum ApproximateNeighbours {
    public struct Parameters: Sendable, Equatable {
        /// Cells (k-means centroids); default `KMeans.defaultCells`, 4·√N.
        public var lists: Int?
        /// Cells searched per item.
        public var probes = 12
        public var iterations = 6
        /// Vectors the centroids are trained on.
        public var sample = 20_000
        public var seed: UInt64 = 1

        public init(lists: Int? = nil, probes: Int = 12) {
            self.lists = lists
            self.probes = probes
        }

        func train(_ m: VectorMatrix, cells: Int, workers: Int) -> VectorMatrix {
            KMeans.train(m, cells: cells, iterations: iterations, sample: sample, seed: seed, workers: workers)
        }
    }

    public static func compute(
        _ m: VectorMatrix, k: Int, parameters p: Parameters = Parameters(),
        workers: Int = ProcessInfo.processInfo.activeProcessorCount
    ) -> [[Neighbour]] {
        let n = m.count
        let d = m.dims
        guard n > 1, k > 0 else { return Array(repeating: [], count: n) }
        let cells = p.lists.map { max(1, min(n, $0)) } ?? KMeans.defaultCells(n)
        let probes = min(p.probes, cells)
        let centroids = p.train(m, cells: cells, workers: workers)
        // Each item's `probes` nearest cells; the first is the cell it belongs to.
        let nearest = KMeans.nearest(m, centroids: centroids, count: probes, workers: workers)
        var cellMembers = [[Int32]](repeating: [], count: cells)
        var cellQueries = [[Int32]](repeating: [], count: cells)
        for i in 0..<n {
            cellMembers[Int(nearest[i * probes])].append(Int32(i))
            for j in 0..<probes { cellQueries[Int(nearest[i * probes + j])].append(Int32(i)) }
        }
        let members = cellMembers
        let queries = cellQueries
        let kk = min(k, n - 1)
        // Per cell: its queries × its members, one SGEMM feeding the queries' heaps. Each worker
        // keeps heaps for every row (as the exact pass does), merged at the end: no lock per score.
        // Largest cells first, so the workers finish together.
        let work: [Int] = (0..<cells).map { queries[$0].count * members[$0].count }
        let order = (0..<cells).sorted { work[$0] > work[$1] }
        let heaps = m.values.withUnsafeBufferPointer { values in
            let x = values.baseAddress!
            return Parallel.forEach(tasks: order.count, workers: workers) {
                (0..<n).map { _ in TopK(k: kk) }
            } _: { heaps, t in
                let c = order[t]
                let q = queries[c]
                let b = members[c]
                guard !q.isEmpty, !b.isEmpty else { return }
                blockedProduct(x, d: d, rows: q, columns: b) { block, s in
                    for (r, query) in block.enumerated() {
                        let row = s.baseAddress! + r * b.count
                        let qi = Int(query)
                        for (j, member) in b.enumerated() where member != query && row[j] >= heaps[qi].threshold {
                            heaps[qi].insert(row[j], member)
                        }
                    }
                }
            }
        }
        return TopK.merge(heaps, rows: n, k: kk)
    }

    /// Mean fraction of the exact top-`at` found in the approximate top-`at`, over the rows given.
    public static func recall(_ approximate: [[Neighbour]], exact: [[Neighbour]], at: Int, rows: [Int]? = nil) -> Double
    {
        let rows = rows ?? Array(exact.indices)
        var total = 0.0
        for i in rows {
            let truth = Set(exact[i].prefix(at).map(\.index))
            guard !truth.isEmpty else {
                total += 1
                continue
            }
            total += Double(approximate[i].prefix(at).filter { truth.contains($0.index) }.count) / Double(truth.count)
        }
        return rows.isEmpty ? 1 : total / Double(rows.count)
    }

    /// X[rows] · X[columns]ᵀ, handed to `body` a block of rows at a time (the block's rows and
    /// its scores, row-major): the columns are gathered and packed once (`PackedMatrix`), and the
    /// scores of a large cell stay bounded (at 1 M items, 16 probes put hundreds of thousands of
    /// queries on the largest cells, and one product for all of them ran out of 23 GB).
    static func blockedProduct(
        _ x: UnsafePointer<Float>, d: Int, rows: [Int32], columns: [Int32], block: Int = 512,
        isa: InstructionSet = .selectedOrPortable, _ body: (ArraySlice<Int32>, UnsafeBufferPointer<Float>) -> Void
    ) {
        func gather(_ ids: ArraySlice<Int32>) -> [Float] {
            var out = [Float](repeating: 0, count: ids.count * d)
            out.withUnsafeMutableBufferPointer { p in
                for (i, r) in ids.enumerated() { (p.baseAddress! + i * d).update(from: x + Int(r) * d, count: d) }
            }
            return out
        }
        let b = gather(columns[...]).withUnsafeBufferPointer {
            PackedMatrix($0, transposed: true, rows: d, columns: columns.count, isa: isa)
        }
        var s = [Float](repeating: 0, count: min(block, rows.count) * columns.count)
        for start in stride(from: 0, to: rows.count, by: block) {
            let part = rows[start..<min(rows.count, start + block)]
            let a = gather(part)
            s.withUnsafeMutableBufferPointer { out in
                b.multiply(a, count: part.count, into: out.baseAddress!)
                body(part, UnsafeBufferPointer(rebasing: out[0..<(part.count * columns.count)]))
            }
        }
    }
}
