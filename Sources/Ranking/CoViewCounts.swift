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
    /// c_ab (a < b): weighted sessions that viewed both, and how many sessions (unweighted, for
    /// support). One dictionary, so counting a pair is one hash lookup.
    public private(set) var pairs: [UInt64: PairCount] = [:]

    public struct PairCount: Sendable, Equatable {
        public var weight: Double
        public var sessions: Int32
    }

    public var pairWeight: [UInt64: Double] { pairs.mapValues(\.weight) }
    public var pairSessions: [UInt64: Int32] { pairs.mapValues(\.sessions) }
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
                pairs[Self.key(sorted[i], sorted[j]), default: PairCount(weight: 0, sessions: 0)].add(w)
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
        for k in pairs.keys { pairs[k]!.weight *= f }
        for (item, hist) in lengths { lengths[item] = hist.mapValues { $0 * f } }
    }

    /// The normalised score of a pair that passed the support threshold.
    public func score(_ a: Item, _ b: Item, method: CoViewMethod? = nil) -> Double {
        guard let cab = pairs[Self.key(a, b)]?.weight else { return 0 }
        return score(a, b, pair: cab, method: method)
    }

    /// The score when c_ab is already known.
    func score(_ a: Item, _ b: Item, pair cab: Double, method: CoViewMethod? = nil) -> Double {
        guard let ca = itemWeight[a], let cb = itemWeight[b], cab > 0 else { return 0 }
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
        // Items are dense indices: per-item lists live in an array, not a dictionary of arrays.
        let size = Int((itemWeight.keys.max() ?? -1) + 1)
        var lists = [[CoViewNeighbour]](repeating: [], count: size)
        for (k, pair) in pairs where Int(pair.sessions) >= config.minSupport {
            let (a, b) = Self.items(of: k)
            let support = Int(pair.sessions)
            // Scored from each side: the expected-count method is not symmetric.
            lists[Int(a)].append(CoViewNeighbour(item: b, score: score(a, b, pair: pair.weight), sessions: support))
            lists[Int(b)].append(CoViewNeighbour(item: a, score: score(b, a, pair: pair.weight), sessions: support))
        }
        var result: [Item: [CoViewNeighbour]] = [:]
        for (i, list) in lists.enumerated() where !list.isEmpty {
            result[Item(i)] = Array(list.sorted { $0.score != $1.score ? $0.score > $1.score : $0.item < $1.item }.prefix(config.topM))
        }
        return result
    }
}

extension CoViewCounts.PairCount {
    mutating func add(_ w: Double) {
        weight += w
        sessions += 1
    }
}

public struct CoViewNeighbour: Sendable, Equatable {
    public let item: CoViewCounts.Item
    public let score: Double
    /// Sessions that viewed both.
    public let sessions: Int
}
