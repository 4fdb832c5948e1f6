/// Offline evaluation of recommendations against held-out browsing: for each consecutive pair of
/// views (a → b), is b among the top k recommended for a, and how high.
public struct RankingMetrics: Sendable, Equatable {
    /// Pairs whose next item was in the top k.
    public let hitRate: Double
    /// Mean of 1/rank of the next item (0 when it is not in the top k).
    public let mrr: Double
    /// Distinct items recommended (over the queries' top k lists) / catalog size.
    public let coverage: Double
    public let pairs: Int
    public let queries: Int
}

public enum OfflineMetrics {
    public struct Pair: Sendable, Equatable, Hashable {
        public let from: Int32
        public let to: Int32
        public init(_ from: Int32, _ to: Int32) {
            self.from = from
            self.to = to
        }
    }

    /// Consecutive pairs of distinct items in each session (sessions given in view order).
    public static func consecutivePairs(_ sessions: [[Int32]]) -> [Pair] {
        var pairs: [Pair] = []
        for views in sessions {
            for (a, b) in zip(views, views.dropFirst()) where a != b { pairs.append(Pair(a, b)) }
        }
        return pairs
    }

    /// `recommend(a)` is called once per distinct `a` and must return at least its top `k`.
    public static func score(_ pairs: [Pair], k: Int, catalogSize: Int, recommend: (Int32) -> [Int32]) -> RankingMetrics
    {
        var lists: [Int32: [Int32]] = [:]
        var hits = 0
        var reciprocal = 0.0
        for pair in pairs {
            let list = lists[pair.from] ?? Array(recommend(pair.from).prefix(k))
            lists[pair.from] = list
            if let rank = list.firstIndex(of: pair.to) {
                hits += 1
                reciprocal += 1 / Double(rank + 1)
            }
        }
        let recommended = Set(lists.values.joined())
        let n = Double(max(pairs.count, 1))
        return RankingMetrics(
            hitRate: Double(hits) / n, mrr: reciprocal / n,
            coverage: catalogSize > 0 ? Double(recommended.count) / Double(catalogSize) : 0,
            pairs: pairs.count, queries: lists.count)
    }

    /// Mean share of each item's top k neighbours that have its category, over items with a
    /// category and at least one neighbour; nil when there are none.
    public static func categoryPrecision(neighbours: [[Int32]], categories: [String?], k: Int) -> Double? {
        var sum = 0.0
        var counted = 0
        for (i, list) in neighbours.enumerated() {
            guard let own = categories[i], !list.isEmpty else { continue }
            let top = list.prefix(k)
            sum += Double(top.filter { categories[Int($0)] == own }.count) / Double(top.count)
            counted += 1
        }
        return counted > 0 ? sum / Double(counted) : nil
    }
}
