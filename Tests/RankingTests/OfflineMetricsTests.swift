import Testing

@testable import Ranking

@Suite struct OfflineMetricsTests {
    /// Sessions [1 2 3] and [2 2 4]: pairs 1→2, 2→3, 2→4 (the repeat 2→2 is not a pair).
    let pairs = OfflineMetrics.consecutivePairs([[1, 2, 3], [2, 2, 4]])
    let lists: [Int32: [Int32]] = [1: [2, 5], 2: [4, 3]]

    @Test func pairsAreConsecutiveDistinctViews() {
        #expect(pairs == [.init(1, 2), .init(2, 3), .init(2, 4)])
    }

    @Test func hitRateMRRAndCoverageByHand() {
        var asked: [Int32] = []
        let at2 = OfflineMetrics.score(pairs, k: 2, catalogSize: 10) {
            asked.append($0)
            return lists[$0]!
        }
        // 1→2 at rank 1, 2→3 at rank 2, 2→4 at rank 1: all hit; MRR (1 + 1/2 + 1) / 3.
        #expect(at2.hitRate == 1)
        #expect(abs(at2.mrr - 2.5 / 3) < 1e-12)
        #expect(at2.coverage == 0.4)  // {2, 5, 4, 3} of 10
        #expect(at2.pairs == 3 && at2.queries == 2)
        #expect(asked == [1, 2])  // one list per distinct query item
        let at1 = OfflineMetrics.score(pairs, k: 1, catalogSize: 10) { lists[$0]! }
        // Lists 1→[2], 2→[4]: 1→2 and 2→4 hit, 2→3 misses.
        #expect(abs(at1.hitRate - 2.0 / 3) < 1e-12 && abs(at1.mrr - 2.0 / 3) < 1e-12)
        #expect(at1.coverage == 0.2)
    }

    @Test func categoryPrecisionByHand() {
        // 0 (a): [1 a, 2 b] → 1/2; 1 (a): [0 a] → 1; 2 (b): [0 a, 1 a] → 0; 3 (no category) skipped.
        let p = OfflineMetrics.categoryPrecision(
            neighbours: [[1, 2], [0], [0, 1], [0]], categories: ["a", "a", "b", nil], k: 10)
        #expect(p == 0.5)
        #expect(OfflineMetrics.categoryPrecision(neighbours: [[]], categories: ["a"], k: 10) == nil)
    }
}
