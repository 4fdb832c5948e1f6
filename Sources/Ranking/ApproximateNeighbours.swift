import COpenBLAS
import Foundation
import Synchronization

/// Approximate top-K cosine neighbours for catalogs too large for the exact N² pass: an
/// inverted-file (IVF) search over the same SGEMM kernel. Spherical k-means (on a sample) splits
/// the vectors into `lists` cells; each item is compared only with the members of its `probes`
/// nearest cells. Cost ≈ N · probes · (N / lists) · d instead of N² · d / 2, and recall is
/// measured, not assumed (`recall(_:exact:at:)`, ops/bench/neighbours).
public enum ApproximateNeighbours {
    public typealias Neighbour = ExactNeighbours.Neighbour

    public struct Parameters: Sendable, Equatable {
        /// Cells (k-means centroids); default ≈ 4·√N.
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
    }

    public static func compute(
        _ m: VectorMatrix, k: Int, parameters p: Parameters = Parameters(),
        workers: Int = ProcessInfo.processInfo.activeProcessorCount
    ) -> [[Neighbour]] {
        let n = m.count
        let d = m.dims
        guard n > 1, k > 0 else { return Array(repeating: [], count: n) }
        let cells = max(1, min(n, p.lists ?? Int(4 * Double(n).squareRoot())))
        let probes = min(p.probes, cells)
        let centroids = train(m, cells: cells, parameters: p, workers: workers)
        // Each item's `probes` nearest cells; the first is the cell it belongs to.
        let nearest = nearestCells(m, centroids: centroids, count: probes, workers: workers)
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
        let next = Mutex(0)
        let partials = Mutex([[TopK]]())
        // Largest cells first, so the workers finish together.
        let work: [Int] = (0..<cells).map { queries[$0].count * members[$0].count }
        let order = (0..<cells).sorted { work[$0] > work[$1] }
        m.values.withUnsafeBufferPointer { values in
            nonisolated(unsafe) let x = values.baseAddress!
            DispatchQueue.concurrentPerform(iterations: max(1, min(workers, cells))) { _ in
                var heaps = (0..<n).map { _ in TopK(k: kk) }
                while true {
                    let t = next.withLock { v in
                        defer { v += 1 }
                        return v
                    }
                    if t >= order.count { break }
                    let c = order[t]
                    let q = queries[c]
                    let b = members[c]
                    guard !q.isEmpty, !b.isEmpty else { continue }
                    let scores = gatherProduct(x, d: d, rows: q, columns: b)
                    scores.withUnsafeBufferPointer { s in
                        for (r, query) in q.enumerated() {
                            let row = s.baseAddress! + r * b.count
                            let qi = Int(query)
                            for (j, member) in b.enumerated() where member != query && row[j] >= heaps[qi].threshold {
                                heaps[qi].insert(row[j], member)
                            }
                        }
                    }
                }
                partials.withLock { $0.append(heaps) }
            }
        }
        return TopK.merge(partials.withLock { $0 }, rows: n, k: kk)
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

    /// Spherical k-means: centroids are unit vectors, items join the centroid of highest cosine.
    static func train(_ m: VectorMatrix, cells: Int, parameters p: Parameters, workers: Int) -> VectorMatrix {
        let n = m.count
        let d = m.dims
        var rng = SplitMix64(seed: p.seed)
        var sample = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) { sample.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        sample = Array(sample.prefix(max(cells, min(n, p.sample))))
        let training = VectorMatrix(dims: d, values: sample.flatMap { m.row($0) })
        var centroids = VectorMatrix(dims: d, values: Array(training.values.prefix(cells * d)))
        for _ in 0..<p.iterations {
            let assigned = nearestCells(training, centroids: centroids, count: 1, workers: workers)
            var sums = [Float](repeating: 0, count: cells * d)
            var sizes = [Int](repeating: 0, count: cells)
            for (i, c) in assigned.enumerated() {
                sizes[Int(c)] += 1
                let row = training.row(i)
                for j in 0..<d { sums[Int(c) * d + j] += row[row.startIndex + j] }
            }
            for c in 0..<cells {
                // An empty cell takes a random training vector.
                if sizes[c] == 0 {
                    let r = Int(rng.next() % UInt64(training.count))
                    for j in 0..<d { sums[c * d + j] = training.values[r * d + j] }
                }
                var norm: Float = 0
                for j in 0..<d { norm += sums[c * d + j] * sums[c * d + j] }
                let inv = norm > 0 ? 1 / norm.squareRoot() : 0
                for j in 0..<d { sums[c * d + j] *= inv }
            }
            centroids = VectorMatrix(dims: d, values: sums)
        }
        return centroids
    }

    /// For each row, the `count` centroids of highest cosine, best first (row-major, count per row).
    static func nearestCells(_ m: VectorMatrix, centroids: VectorMatrix, count: Int, workers: Int) -> [Int32] {
        let n = m.count
        let cells = centroids.count
        let d = m.dims
        let chunk = 256
        var result = [Int32](repeating: 0, count: n * count)
        let chunks = (n + chunk - 1) / chunk
        let next = Mutex(0)
        openblas_set_num_threads(1)
        result.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let o = out.baseAddress!
            m.values.withUnsafeBufferPointer { xs in
                centroids.values.withUnsafeBufferPointer { cs in
                    nonisolated(unsafe) let x = xs.baseAddress!
                    nonisolated(unsafe) let c = cs.baseAddress!
                    DispatchQueue.concurrentPerform(iterations: max(1, min(workers, chunks))) { _ in
                        let s = UnsafeMutablePointer<Float>.allocate(capacity: chunk * cells)
                        defer { s.deallocate() }
                        while true {
                            let t = next.withLock { v in
                                defer { v += 1 }
                                return v
                            }
                            if t >= chunks { break }
                            let r0 = t * chunk
                            let rows = min(chunk, n - r0)
                            cblas_sgemm(
                                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cells), Int32(d),
                                1, x + r0 * d, Int32(d), c, Int32(d), 0, s, Int32(cells))
                            for r in 0..<rows {
                                var heap = TopK(k: count)
                                for j in 0..<cells where s[r * cells + j] >= heap.threshold {
                                    heap.insert(s[r * cells + j], Int32(j))
                                }
                                for (slot, best) in heap.sorted().enumerated() {
                                    o[(r0 + r) * count + slot] = best.index
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// scores[rows × columns] = X[rows] · X[columns]ᵀ, gathering both sets of rows first.
    static func gatherProduct(_ x: UnsafePointer<Float>, d: Int, rows: [Int32], columns: [Int32]) -> [Float] {
        var a = [Float](repeating: 0, count: rows.count * d)
        var b = [Float](repeating: 0, count: columns.count * d)
        a.withUnsafeMutableBufferPointer { p in
            for (i, r) in rows.enumerated() { (p.baseAddress! + i * d).update(from: x + Int(r) * d, count: d) }
        }
        b.withUnsafeMutableBufferPointer { p in
            for (i, r) in columns.enumerated() { (p.baseAddress! + i * d).update(from: x + Int(r) * d, count: d) }
        }
        var s = [Float](repeating: 0, count: rows.count * columns.count)
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows.count), Int32(columns.count), Int32(d),
            1, a, Int32(d), b, Int32(d), 0, &s, Int32(columns.count))
        return s
    }
}
