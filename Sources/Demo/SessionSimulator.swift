import Catalog
import Foundation
import Ranking

/// Simulated browsing sessions for the demo and the tests — not real shoppers. A small
/// generative model: each session has an intent (one category: no invented pairings of categories,
/// which the co-view signal would learn and serve as if shoppers had made them); its first item is
/// drawn by popularity (a Zipf-like skew) within the intent; each next view is, with the given
/// odds, a visually similar item of the current one (from its image neighbours), another
/// popular item of the intent, or noise from anywhere. A few sessions are bots that view many
/// random items in quick succession. Seeded: the same inputs and seed give the same sessions.
public struct SessionSimulator: Sendable {
    public struct Item: Sendable {
        public let id: String
        public let category: String
        /// Visually similar items (indices into the item list), most similar first.
        public let similar: [Int]
        public init(id: String, category: String, similar: [Int]) {
            self.id = id
            self.category = category
            self.similar = similar
        }
    }

    public var sessions = 20000
    public var seed: UInt64 = 1
    /// Views are spread over the `days` before `end`.
    public var days = 60
    public var end = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21, fixed for reproducibility
    public var similarOdds = 0.3
    public var noiseOdds = 0.1
    public var botOdds = 0.02

    public init() {}

    public func run(_ items: [Item]) -> [ViewEvent] {
        guard !items.isEmpty else { return [] }
        var rng = SplitMix64(seed: seed)
        // Popularity: 1 / rank^0.9 over a seeded shuffle of the catalog.
        let order = (0..<items.count).shuffled(using: &rng)
        var popularity = [Double](repeating: 0, count: items.count)
        for (rank, i) in order.enumerated() { popularity[i] = 1 / pow(Double(rank + 1), 0.9) }
        let byCategory = Dictionary(grouping: items.indices, by: { items[$0].category })
        let categories = byCategory.keys.sorted()
        let everyone = WeightedDraw(Array(items.indices), popularity)
        let draws = byCategory.mapValues { WeightedDraw($0, popularity) }
        let categoryDraw = WeightedDraw(
            Array(categories.indices), categories.map { c in byCategory[c]!.reduce(0) { $0 + popularity[$1] } })

        var views: [ViewEvent] = []
        for s in 0..<sessions {
            let id = "sim-\(seed)-\(s)"
            var time = end.addingTimeInterval(-Double(days) * 86_400 * rng.unit())
            if rng.unit() < botOdds {
                for _ in 0..<(20 + rng.below(30)) {
                    views.append(ViewEvent(sessionID: id, itemID: items[rng.below(items.count)].id, viewedAt: time))
                    time += 1 + rng.unit()
                }
                continue
            }
            let intent = draws[categories[categoryDraw.pick(&rng)]]!
            let length = 2 + min(10, Int(-log(1 - rng.unit()) * 3))  // 2…12 views, mean ≈ 5
            var current = intent.pick(&rng)
            var seen: Set<Int> = [current]
            views.append(ViewEvent(sessionID: id, itemID: items[current].id, viewedAt: time))
            for _ in 1..<length {
                let roll = rng.unit()
                var next: Int
                let similar = items[current].similar.prefix(10)
                if roll < similarOdds, !similar.isEmpty {
                    next = similar[similar.startIndex + rng.below(similar.count)]
                } else if roll < 1 - noiseOdds {
                    next = intent.pick(&rng)
                } else {
                    next = everyone.pick(&rng)
                }
                if seen.contains(next) { next = intent.pick(&rng) }
                guard !seen.contains(next) else { continue }
                seen.insert(next)
                current = next
                time += 10 + 110 * rng.unit()
                views.append(ViewEvent(sessionID: id, itemID: items[current].id, viewedAt: time))
            }
        }
        return views.sorted { ($0.viewedAt, $0.sessionID) < ($1.viewedAt, $1.sessionID) }
    }
}

/// Draws indices with probability proportional to their weights (binary search over the sums).
struct WeightedDraw {
    let values: [Int]
    let sums: [Double]

    /// `values` weighted by `weightOf[value]`.
    init(_ values: [Int], _ weightOf: [Double]) {
        self.init(values, weights: values.map { weightOf[$0] })
    }

    init(_ values: [Int], weights: [Double]) {
        self.values = values
        var total = 0.0
        sums = weights.map {
            total += $0
            return total
        }
    }

    func pick(_ rng: inout SplitMix64) -> Int {
        let target = rng.unit() * sums.last!
        var lo = 0
        var hi = sums.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if sums[mid] > target { hi = mid } else { lo = mid + 1 }
        }
        return values[lo]
    }
}
