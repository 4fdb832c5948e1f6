import Compute
import Foundation

/// `IncrementalNeighbours` for catalogs whose lists are approximate: instead of multiplying each
/// changed row by all N rows, it compares it only with the members of its `probes` nearest
/// k-means cells (about probes · N / cells rows). The
/// rest follows the exact update: a changed row gets a fresh list, an unchanged row takes the
/// changed rows that now beat its weakest entry, and a row whose held changed row fell below
/// that entry, or whose list is short, is recomputed (through its own probed cells).
extension ApproximateNeighbours {
    public static func update(
        _ m: VectorMatrix, changed: Set<Int32>, lists: [[Neighbour]], k: Int, parameters p: Parameters,
        workers: Int = ProcessInfo.processInfo.activeProcessorCount
    ) -> [Int32: [Neighbour]] {
        guard let start = IncrementalNeighbours.Start(m, changed: changed, lists: lists, k: k) else { return [:] }
        let (n, kk, floor, isChanged, holds) = (start.n, start.kk, start.floor, start.isChanged, start.holds)
        // √N cells by default, not the rebuild's 4√N: every row is assigned to one (N · cells · d)
        // for the few changed rows' sake, and larger cells give them more candidates.
        let cellCount = p.lists.map { max(1, min(n, $0)) } ?? max(1, Int(Double(n).squareRoot()))
        let centroids = p.train(m, cells: cellCount, workers: workers)
        var members = [[Int32]](repeating: [], count: cellCount)
        for (row, cell) in KMeans.nearest(m, centroids: centroids, count: 1, workers: workers).enumerated() {
            members[Int(cell)].append(Int32(row))
        }
        let cells = Cells(centroids: centroids, members: members, probes: min(p.probes, cellCount))

        let rows = changed.sorted()
        let probed = cells.probe(m, rows: rows, k: kk, floors: floor, skip: isChanged, workers: workers)
        var result: [Int32: [Neighbour]] = [:]
        for (row, list) in zip(rows, probed.lists) { result[row] = list }
        // candidates[j]: changed rows with their new score to j, where they reach j's floor.
        var candidates: [Int32: [Int32: Float]] = [:]
        for (j, e) in probed.reached { candidates[j, default: [:]][e.index] = e.score }
        var recompute: [Int32] = []
        for (j, held) in holds {
            // A held changed row's new score, measured directly (it may lie outside the probed cells).
            for c in held {
                let score = BLAS.dot(m.row(Int(c)), m.row(Int(j)))
                if score < floor[Int(j)] { recompute.append(j) } else { candidates[j, default: [:]][c] = score }
            }
        }
        let recomputing = Set(recompute)
        for (j, cands) in candidates where !recomputing.contains(j) {
            let old = lists[Int(j)]
            if old.count < kk {
                recompute.append(j)
                continue
            }
            if let list = start.merged(old, with: cands.map { Neighbour(index: $0.key, score: $0.value) }) {
                result[j] = list
            }
        }
        let again = Array(Set(recompute)).sorted()
        let fresh = cells.probe(m, rows: again, k: kk, floors: nil, skip: isChanged, workers: workers)
        for (row, list) in zip(again, fresh.lists) { result[row] = list }
        return result
    }

    /// k-means cells with their member rows.
    struct Cells {
        let centroids: VectorMatrix
        let members: [[Int32]]
        let probes: Int

        /// For each of `rows`, its best `k` among the members of its `probes` nearest cells; with
        /// `floors`, also each (member, row and score) whose score reaches the member's floor
        /// (members marked in `skip` excepted). One SGEMM per cell, cells spread over workers.
        func probe(
            _ m: VectorMatrix, rows: [Int32], k: Int, floors: [Float]?, skip: [Bool], workers: Int
        ) -> (lists: [[Neighbour]], reached: [(Int32, Neighbour)]) {
            guard !rows.isEmpty else { return ([], []) }
            let d = m.dims
            let gathered = VectorMatrix(dims: d, values: rows.flatMap { m.row(Int($0)) })
            let nearest = KMeans.nearest(gathered, centroids: centroids, count: probes, workers: workers)
            var queries = [[Int32]](repeating: [], count: members.count)  // positions in `rows`
            for position in rows.indices {
                for s in 0..<probes { queries[Int(nearest[position * probes + s])].append(Int32(position)) }
            }
            let order = queries.indices.filter { !queries[$0].isEmpty && !members[$0].isEmpty }
                .sorted { queries[$0].count * members[$0].count > queries[$1].count * members[$1].count }
            let states = m.values.withUnsafeBufferPointer { values in
                let x = values.baseAddress!
                return Parallel.forEach(tasks: order.count, workers: workers) {
                    ProbeState(heaps: rows.map { _ in TopK(k: k) })
                } _: { state, t in
                    let cell = order[t]
                    let positions = queries[cell]
                    let columns = members[cell]
                    let ids = positions.map { rows[Int($0)] }
                    blockedProduct(x, d: d, rows: ids, columns: columns) { block, scores in
                        for (offset, row) in block.enumerated() {
                            let position = Int(positions[block.startIndex + offset])
                            for (j, member) in columns.enumerated() where member != row {
                                let s = scores[offset * columns.count + j]
                                if s >= state.heaps[position].threshold { state.heaps[position].insert(s, member) }
                                if let floors, !skip[Int(member)], s >= floors[Int(member)] {
                                    state.reached.append((member, Neighbour(index: row, score: s)))
                                }
                            }
                        }
                    }
                }
            }
            return (TopK.merge(states.map(\.heaps), rows: rows.count, k: k), states.flatMap(\.reached))
        }
    }

    private struct ProbeState {
        var heaps: [TopK]
        var reached: [(Int32, Neighbour)] = []
    }
}
