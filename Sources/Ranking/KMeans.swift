import Compute

/// Spherical k-means, the cells of the approximate neighbour path and of the search index:
/// centroids are unit vectors, and a vector belongs to the centroid of highest cosine.
public enum KMeans {
    /// The default number of cells for `n` vectors: 4·√n (at least 1, at most n).
    public static func defaultCells(_ n: Int) -> Int { max(1, min(n, Int(4 * Double(n).squareRoot()))) }

    /// `cells` centroids trained on a seeded sample of at most `sample` rows of `m`.
    static func train(
        _ m: VectorMatrix, cells: Int, iterations: Int, sample sampleSize: Int, seed: UInt64, workers: Int
    ) -> VectorMatrix {
        let n = m.count
        let d = m.dims
        var rng = SplitMix64(seed: seed)
        var sample = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) { sample.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        sample = Array(sample.prefix(max(cells, min(n, sampleSize))))
        let training = VectorMatrix(dims: d, values: sample.flatMap { m.row($0) })
        var centroids = VectorMatrix(dims: d, values: Array(training.values.prefix(cells * d)))
        for _ in 0..<iterations {
            let assigned = nearest(training, centroids: centroids, count: 1, workers: workers)
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

    /// For each row of `m`, the `count` centroids of highest cosine, best first (row-major, `count`
    /// per row), computed in chunks of rows on `workers` threads, with the centroids packed once
    /// for the GEMM micro-kernels. `codes`: `m`'s rows are int8 codes (whole numbers in ±127, each
    /// row at its own scale, which does not change its ranking): where the int8 kernel is fast
    /// (`PackedInt8Matrix.isFast`) they are multiplied exactly as int8 by int8 centroids, 3.8× the
    /// float32 kernel's rate with AVX-512 VNNI and 1.7× with AVX2 (`ops/bench/gemm`, BENCHMARKS.md).
    static func nearest(
        _ m: VectorMatrix, centroids: VectorMatrix, count: Int, workers: Int,
        isa: InstructionSet = .selectedOrPortable, codes: Bool = false
    ) -> [Int32] {
        let n = m.count
        let cells = centroids.count
        let d = m.dims
        let product: (UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>) -> Void =
            centroids.values.withUnsafeBufferPointer { c in
                if codes && PackedInt8Matrix.isFast(on: isa) {
                    let packed = PackedInt8Matrix(c, transposed: true, rows: d, columns: cells, isa: isa)
                    // Codes in ±127 with zero point 128 are exactly the kernel's uint8 inputs.
                    return { packed.multiply($0, count: $1, inputScale: 1, inputZero: 128, into: $2) }
                }
                let packed = PackedMatrix(c, transposed: true, rows: d, columns: cells, isa: isa)
                return { packed.multiply($0, count: $1, into: $2) }
            }
        let chunk = 256
        var result = [Int32](repeating: 0, count: n * count)
        result.withUnsafeMutableBufferPointer { out in
            let o = out.baseAddress!
            m.values.withUnsafeBufferPointer { xs in
                let x = xs.baseAddress!
                let done = Parallel.forEach(tasks: (n + chunk - 1) / chunk, workers: workers) {
                    UnsafeMutablePointer<Float>.allocate(capacity: chunk * cells)
                } _: { s, t in
                    let r0 = t * chunk
                    let rows = min(chunk, n - r0)
                    product(x + r0 * d, rows, s)
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
                for s in done { s.deallocate() }
            }
        }
        return result
    }
}
