import Foundation
import Ranking

/// The stored co-view state: raw epoch-weighted counts (`coview_pairs`, `coview_items`,
/// `coview_item_lengths`, totals in `coview_builds`) and the neighbour lists derived from them.
enum CoViewStore {
    /// Stored weights are expressed at this time (see migration 0005).
    static let epoch = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z

    /// Item ids ↔ the dense indices `CoViewCounts` uses.
    struct Names {
        private(set) var index: [String: Int32] = [:]
        private(set) var names: [String] = []

        mutating func id(_ name: String) -> Int32 {
            if let known = index[name] { return known }
            let i = Int32(names.count)
            index[name] = i
            names.append(name)
            return i
        }

        subscript(_ i: Int32) -> String { names[Int(i)] }
    }

    static func configJSON(_ config: CoViewConfig) -> String {
        "{\"method\":\"\(config.method.rawValue)\",\"max_session_items\":\(config.maxSessionItems),\"half_life_seconds\":\(config.halfLife),\"min_support\":\(config.minSupport),\"top_m\":\(config.topM),\"lift_shrinkage\":\(config.liftShrinkage)}"
    }

    /// Rows of the raw counts (pairs with a < b by id text, as stored).
    static func pairRows(_ counts: CoViewCounts, _ names: Names) -> [[PGValue]] {
        counts.pairs.map { key, pair in
            let (a, b) = CoViewCounts.items(of: key)
            let (x, y) = names[a] < names[b] ? (names[a], names[b]) : (names[b], names[a])
            return [.text(x), .text(y), .float64(pair.weight), .int32(pair.sessions)]
        }
    }

    static func itemRows(_ counts: CoViewCounts, _ names: Names) -> [[PGValue]] {
        counts.itemWeight.indices.filter { counts.itemSessions[$0] != 0 || counts.itemWeight[$0] != 0 }.map {
            [.text(names[Int32($0)]), .float64(counts.itemWeight[$0]), .int32(counts.itemSessions[$0])]
        }
    }

    static func lengthRows(_ counts: CoViewCounts, _ names: Names) -> [[PGValue]] {
        counts.lengths.enumerated().flatMap { i, list in
            list.map { [.text(names[Int32(i)]), .int32($0.items), .float64($0.weight)] }
        }
    }

    /// Scores at `now` and writes the lists of the items `only` selects (nil: all, replacing every list).
    static func writeNeighbours(_ c: PGConnection, counts: CoViewCounts, names: Names, now: Date, only: Set<Int32>?) throws -> Int {
        var scored = counts
        scored.decay(to: now)
        let lists = scored.neighbours(only: only.map { set in { set.contains($0) } })
        var rows: [[PGValue]] = []
        for (item, list) in lists {
            for (rank, n) in list.enumerated() {
                rows.append([.text(names[item]), .int32(Int32(rank + 1)), .text(names[n.item]), .float64(n.score), .int32(Int32(n.sessions))])
            }
        }
        if let only {
            try c.execute("CREATE TEMP TABLE relisted (item_id text PRIMARY KEY) ON COMMIT DROP")
            try c.copyIn(table: "relisted", columns: ["item_id"], rows: only.map { [.text(names[$0])] })
            try c.execute("DELETE FROM coview_neighbours n USING relisted r WHERE n.item_id = r.item_id")
        } else {
            try c.execute("DELETE FROM coview_neighbours")
        }
        try c.copyIn(table: "coview_neighbours", columns: ["item_id", "rank", "neighbour_id", "score", "sessions"], rows: rows)
        return rows.count
    }
}
