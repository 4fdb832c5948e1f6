import Compute
import Foundation

/// Exact top-K cosine neighbours of every row of a matrix (excluding itself), by blocked SGEMM.
/// Similarity is symmetric, so only the tiles on and above the diagonal are computed (half the
/// multiply-adds); each tile feeds the heaps of its rows and, transposed, of its columns. Workers
/// (one per core, single-threaded BLAS) take tiles from a shared counter and keep heaps for every
/// row of their own, merged at the end, so nothing is locked per score.
public enum ExactNeighbours {
    /// One worker's heaps for every row, their thresholds, and its tile buffer.
    private struct Worker {
        var heaps: [TopK]
        var thresholds: [Float]
        let tile: UnsafeMutablePointer<Float>
    }

    /// - block: tiles are block × block similarities.
    public static func compute(
        _ m: VectorMatrix, k: Int, workers: Int = ProcessInfo.processInfo.activeProcessorCount, block: Int = 1024
    ) -> [[Neighbour]] {
        let n = m.count
        let d = m.dims
        guard n > 1, k > 0 else { return Array(repeating: [], count: n) }
        precondition(block > 0)
        let kk = min(k, n - 1)
        let blocks = (n + block - 1) / block
        let tiles = (0..<blocks).flatMap { i in (i..<blocks).map { j in (i, j) } }
        let done = m.values.withUnsafeBufferPointer { values in
            let x = values.baseAddress!  // read-only while the workers run
            return Parallel.forEach(tasks: tiles.count, workers: workers) {
                Worker(
                    heaps: (0..<n).map { _ in TopK(k: kk) }, thresholds: Array(repeating: -.infinity, count: n),
                    tile: .allocate(capacity: block * block))
            } _: { w, t in
                let (bi, bj) = tiles[t]
                let r0 = bi * block
                let rows = min(block, n - r0)
                let c0 = bj * block
                let cols = min(block, n - c0)
                // tile[rows × cols] = X[r0..] · X[c0..]ᵀ
                BLAS.multiplyTransposed(x + r0 * d, x + c0 * d, into: w.tile, m: rows, n: cols, k: d)
                for r in 0..<rows {
                    let row = w.tile + r * cols
                    let own = r0 + r
                    for c in 0..<cols where row[c] >= w.thresholds[own] {
                        let j = c0 + c
                        if j == own { continue }
                        w.heaps[own].insert(row[c], Int32(j))
                        w.thresholds[own] = w.heaps[own].threshold
                    }
                }
                guard bi != bj else { return }
                // The same tile, transposed: row r0 + r is a neighbour candidate of column c0 + c.
                for r in 0..<rows {
                    let row = w.tile + r * cols
                    for c in 0..<cols where row[c] >= w.thresholds[c0 + c] {
                        w.heaps[c0 + c].insert(row[c], Int32(r0 + r))
                        w.thresholds[c0 + c] = w.heaps[c0 + c].threshold
                    }
                }
            }
        }
        for w in done { w.tile.deallocate() }
        return TopK.merge(done.map(\.heaps), rows: n, k: kk)
    }
}
