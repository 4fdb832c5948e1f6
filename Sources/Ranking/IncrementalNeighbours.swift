import Compute
import Foundation

/// Exact top-K lists kept up to date when some vectors are new or changed, without recomputing
/// everything: the changed rows are multiplied against all rows (|changed| × N, not N × N); each
/// changed item gets a fresh list, and each other item takes the changed items that now beat its
/// weakest entry. An item whose list held a changed item whose score fell below that list's old
/// minimum (something unseen might now outrank it), or whose list is short of K, is recomputed
/// in full, so the result equals a full rebuild.
public enum IncrementalNeighbours {

    /// - lists: the current lists, by row of `m` (rows without one: empty).
    /// - Returns: the new list of every row whose list changed.
    /// What an update (exact or approximate) starts from: the lists' K, per row the score a
    /// newcomer must reach (its weakest entry; -∞ for a short list), which rows changed, and per
    /// unchanged row the changed rows its list holds.
    struct Start {
        let n: Int
        let kk: Int
        let floor: [Float]
        let isChanged: [Bool]
        let holds: [Int32: Set<Int32>]

        /// nil when there is nothing to update.
        init?(_ m: VectorMatrix, changed: Set<Int32>, lists: [[Neighbour]], k: Int) {
            n = m.count
            guard n > 1, k > 0, !changed.isEmpty else { return nil }
            precondition(lists.count == n, "one list per row")
            let kk = min(k, n - 1)
            self.kk = kk
            floor = lists.map { $0.count < kk ? -.infinity : $0.last!.score }
            var isChanged = [Bool](repeating: false, count: n)
            for c in changed { isChanged[Int(c)] = true }
            var holds: [Int32: Set<Int32>] = [:]
            for (j, list) in lists.enumerated() where !isChanged[j] {
                for e in list where isChanged[Int(e.index)] { holds[Int32(j), default: []].insert(e.index) }
            }
            self.isChanged = isChanged
            self.holds = holds
        }

        /// An unchanged row's list with the changed rows dropped and `candidates` merged in; nil
        /// when that is the list it had.
        func merged(_ old: [Neighbour], with candidates: [Neighbour]) -> [Neighbour]? {
            let merged = (old.filter { !isChanged[Int($0.index)] } + candidates)
                .sorted { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
            let list = Array(merged.prefix(kk))
            return list == old ? nil : list
        }
    }

    public static func update(
        _ m: VectorMatrix, changed: Set<Int32>, lists: [[Neighbour]], k: Int,
        workers: Int = ProcessInfo.processInfo.activeProcessorCount
    ) -> [Int32: [Neighbour]] {
        guard let start = Start(m, changed: changed, lists: lists, k: k) else { return [:] }
        let (n, kk, floor, isChanged, holds) = (start.n, start.kk, start.floor, start.isChanged, start.holds)
        // Per changed row, the unchanged rows holding it.
        var heldBy: [Int32: [Int32]] = [:]
        for (j, held) in holds {
            for c in held { heldBy[c, default: []].append(j) }
        }
        let rows = changed.sorted()
        var result: [Int32: [Neighbour]] = [:]
        // candidates[j]: changed rows with their new score to j, where they matter to j.
        var candidates: [Int32: [Neighbour]] = [:]
        scan(m, rows: rows, workers: workers) { [isChanged, heldBy] c, scores in
            var heap = TopK(k: kk)
            for j in 0..<n where j != Int(c) && scores[j] >= heap.threshold { heap.insert(scores[j], Int32(j)) }
            let fresh = heap.neighbours
            var mine: [(Int32, Neighbour)] = []
            for j in 0..<n where !isChanged[j] && scores[j] >= floor[j] {
                mine.append((Int32(j), Neighbour(index: c, score: scores[j])))
            }
            // Holders below their floor: needed to tell that they must be recomputed.
            for j in heldBy[c] ?? [] where scores[Int(j)] < floor[Int(j)] {
                mine.append((j, Neighbour(index: c, score: scores[Int(j)])))
            }
            return (fresh, mine)
        } collect: { c, fresh, mine in
            result[c] = fresh
            for (j, e) in mine { candidates[j, default: []].append(e) }
        }
        var recompute: [Int32] = []
        for (j, cands) in candidates {
            let old = lists[Int(j)]
            let held = holds[j] ?? []
            // Exact only if every held changed row still reaches the old minimum, and the list was full.
            if old.count < kk || cands.contains(where: { held.contains($0.index) && $0.score < floor[Int(j)] }) {
                recompute.append(j)
                continue
            }
            if let list = start.merged(old, with: cands) { result[j] = list }
        }
        scan(m, rows: recompute.sorted(), workers: workers) { r, scores in
            var heap = TopK(k: kk)
            for j in 0..<n where j != Int(r) && scores[j] >= heap.threshold { heap.insert(scores[j], Int32(j)) }
            return (heap.neighbours, [(Int32, Neighbour)]())
        } collect: { r, fresh, _ in
            result[r] = fresh
        }
        return result
    }

    /// Computes the similarities of `rows` to every row in chunks (SGEMM, one worker per core,
    /// single-threaded BLAS), hands each row's scores to `work` on a worker, and `collect`s the
    /// outcome in row order on the caller's thread.
    static func scan<T: Sendable>(
        _ m: VectorMatrix, rows: [Int32], workers: Int, chunk: Int = 64,
        work: @Sendable (Int32, UnsafeBufferPointer<Float>) -> ([Neighbour], [T]),
        collect: (Int32, [Neighbour], [T]) -> Void
    ) {
        guard !rows.isEmpty else { return }
        let n = m.count
        let d = m.dims
        let chunks = stride(from: 0, to: rows.count, by: chunk).map { Array(rows[$0..<min(rows.count, $0 + chunk)]) }
        let workersDone = m.values.withUnsafeBufferPointer { values in
            let x = values.baseAddress!
            return Parallel.forEach(tasks: chunks.count, workers: workers) {
                ScanWorker<T>(a: .allocate(capacity: chunk * d), s: .allocate(capacity: chunk * n))
            } _: { w, t in
                let part = chunks[t]
                for (i, r) in part.enumerated() { (w.a + i * d).update(from: x + Int(r) * d, count: d) }
                // s[part × n] = A · Xᵀ
                BLAS.multiplyTransposed(w.a, x, into: w.s, m: part.count, n: n, k: d)
                w.outcomes[t] = part.enumerated().map { i, r in
                    work(r, UnsafeBufferPointer(start: w.s + i * n, count: n))
                }
            }
        }
        var all: [Int: [([Neighbour], [T])]] = [:]
        for w in workersDone {
            w.a.deallocate()
            w.s.deallocate()
            all.merge(w.outcomes) { first, _ in first }
        }
        for t in chunks.indices {
            for (r, outcome) in zip(chunks[t], all[t]!) { collect(r, outcome.0, outcome.1) }
        }
    }
}

/// One scanning worker's gathered rows, their scores, and its outcomes by chunk.
private struct ScanWorker<T> {
    let a: UnsafeMutablePointer<Float>
    let s: UnsafeMutablePointer<Float>
    var outcomes: [Int: [([Neighbour], [T])]] = [:]
}
