import Foundation

/// Raw, decayed co-view counts. Kept raw so the normalisation can change without recounting, and
/// mergeable so new sessions can be added from a watermark. Items are dense integer indices.
public struct CoViewCounts: Sendable {
    public typealias Item = Int32

    /// The time all weights are expressed at (a session's weight is 0.5^(age / halfLife)).
    public private(set) var asOf: Date
    public let config: CoViewConfig
    /// Σ weights of counted sessions (N).
    public private(set) var sessions = 0.0
    /// Σ over counted sessions of the session's weight × its distinct items: all item views (for p_b).
    public private(set) var views = 0.0
    public private(set) var botSessions = 0
    /// c_a: weighted sessions that viewed a; and how many sessions (unweighted: the evidence n).
    public private(set) var itemWeight: [Item: Double] = [:]
    public private(set) var itemSessions: [Item: Int32] = [:]
    /// c_ab (a < b): weighted sessions that viewed both, and how many sessions (unweighted, for support).
    public private(set) var pairWeight: [UInt64: Double] = [:]
    public private(set) var pairSessions: [UInt64: Int32] = [:]
    /// Per item, weighted sessions by length (distinct items): what E_ab needs.
    public private(set) var lengths: [Item: [Int32: Double]] = [:]

    public init(config: CoViewConfig = CoViewConfig(), asOf: Date) {
        self.config = config
        self.asOf = asOf
    }

    static func key(_ a: Item, _ b: Item) -> UInt64 {
        let (lo, hi) = a < b ? (a, b) : (b, a)
        return UInt64(UInt32(bitPattern: lo)) << 32 | UInt64(UInt32(bitPattern: hi))
    }

    static func items(of key: UInt64) -> (Item, Item) {
        (Item(bitPattern: UInt32(truncatingIfNeeded: key >> 32)), Item(bitPattern: UInt32(truncatingIfNeeded: key)))
    }

    /// The weight of an event at `time`, relative to `asOf`.
    func weight(at time: Date) -> Double {
        pow(0.5, asOf.timeIntervalSince(time) / config.halfLife)
    }

    /// Counts one session: its distinct items, and the time of its last view. Every pair of
    /// items in it counts once, however often each was viewed.
    public mutating func add(session items: Set<Item>, lastViewedAt: Date) {
        guard items.count >= 1 else { return }
        guard items.count <= config.maxSessionItems else {
            botSessions += 1
            return
        }
        let w = weight(at: lastViewedAt)
        let n = Int32(items.count)
        sessions += w
        views += w * Double(items.count)
        let sorted = items.sorted()
        for a in sorted {
            itemWeight[a, default: 0] += w
            itemSessions[a, default: 0] += 1
            lengths[a, default: [:]][n, default: 0] += w
        }
        for i in sorted.indices {
            for j in sorted.indices where j > i {
                let k = Self.key(sorted[i], sorted[j])
                pairWeight[k, default: 0] += w
                pairSessions[k, default: 0] += 1
            }
        }
    }

    /// Re-expresses every weight at a later time (for adding newer sessions to old counts).
    public mutating func decay(to time: Date) {
        let f = pow(0.5, time.timeIntervalSince(asOf) / config.halfLife)
        asOf = time
        guard f != 1 else { return }
        sessions *= f
        views *= f
        for k in itemWeight.keys { itemWeight[k]! *= f }
        for k in pairWeight.keys { pairWeight[k]! *= f }
        for (item, hist) in lengths { lengths[item] = hist.mapValues { $0 * f } }
    }

    /// The normalised score of a pair that passed the support threshold.
    public func score(_ a: Item, _ b: Item, method: CoViewMethod? = nil) -> Double {
        let k = Self.key(a, b)
        guard let cab = pairWeight[k], let ca = itemWeight[a], let cb = itemWeight[b], cab > 0 else { return 0 }
        switch method ?? config.method {
        case .cosine:
            return cab / (ca * cb).squareRoot()
        case .jaccard:
            return cab / (ca + cb - cab)
        case .liftShrunk:
            return (cab * sessions / (ca * cb)) * cab / (cab + config.liftShrinkage)
        case .expected:
            let e = expected(a, b)
            return e > 0 ? (cab - e) / e.squareRoot() : 0
        }
    }

    /// E_ab: the co-views of a and b expected if b were viewed at random with its popularity.
    public func expected(_ a: Item, _ b: Item) -> Double {
        guard views > 0, let hist = lengths[a] else { return 0 }
        let pb = (itemWeight[b] ?? 0) / views
        var e = 0.0
        for (n, w) in hist { e += w * (1 - pow(1 - pb, Double(n - 1))) }
        return e
    }

    /// Each item's top-M co-view neighbours by the configured method, from pairs with at least
    /// `minSupport` sessions, best first (ties by item index), with each pair's session count.
    public func neighbours() -> [Item: [CoViewNeighbour]] {
        var lists: [Item: [CoViewNeighbour]] = [:]
        for (k, support) in pairSessions where Int(support) >= config.minSupport {
            let (a, b) = Self.items(of: k)
            // Scored from each side: the expected-count method is not symmetric.
            lists[a, default: []].append(CoViewNeighbour(item: b, score: score(a, b), sessions: Int(support)))
            lists[b, default: []].append(CoViewNeighbour(item: a, score: score(b, a), sessions: Int(support)))
        }
        return lists.mapValues { list in
            Array(list.sorted { $0.score != $1.score ? $0.score > $1.score : $0.item < $1.item }.prefix(config.topM))
        }
    }
}

public struct CoViewNeighbour: Sendable, Equatable {
    public let item: CoViewCounts.Item
    public let score: Double
    /// Sessions that viewed both.
    public let sessions: Int
}
