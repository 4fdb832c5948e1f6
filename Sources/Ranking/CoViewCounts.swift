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
    /// By item index: c_a, weighted sessions that viewed a; and how many sessions (unweighted:
    /// the evidence n). Items are dense indices, so these are arrays.
    public private(set) var itemWeight: [Double] = []
    public private(set) var itemSessions: [Int32] = []
    /// c_ab (a < b): weighted sessions that viewed both, and how many sessions (unweighted, for
    /// support). One dictionary, so counting a pair is one hash lookup.
    public private(set) var pairs: [UInt64: PairCount] = [:]

    public struct PairCount: Sendable, Equatable {
        public var weight: Double
        public var sessions: Int32
        public init(weight: Double, sessions: Int32) {
            self.weight = weight
            self.sessions = sessions
        }
    }

    public var pairWeight: [UInt64: Double] { pairs.mapValues(\.weight) }
    public var pairSessions: [UInt64: Int32] { pairs.mapValues(\.sessions) }
    /// Per item, weighted sessions by length (distinct items): what E_ab needs. A short list per
    /// item (few distinct lengths), searched linearly.
    public private(set) var lengths: [[SessionLength]] = []

    public struct SessionLength: Sendable, Equatable {
        public var items: Int32
        public var weight: Double
        public init(items: Int32, weight: Double) {
            self.items = items
            self.weight = weight
        }
    }

    public init(config: CoViewConfig = CoViewConfig(), asOf: Date) {
        self.config = config
        self.asOf = asOf
    }

    /// Items seen so far (1 + the largest index).
    public var itemCount: Int { itemWeight.count }

    static func key(_ a: Item, _ b: Item) -> UInt64 {
        let (lo, hi) = a < b ? (a, b) : (b, a)
        return UInt64(UInt32(bitPattern: lo)) << 32 | UInt64(UInt32(bitPattern: hi))
    }

    public static func items(of key: UInt64) -> (Item, Item) {
        (Item(bitPattern: UInt32(truncatingIfNeeded: key >> 32)), Item(bitPattern: UInt32(truncatingIfNeeded: key)))
    }

    /// The weight of an event at `time`, relative to `asOf`.
    func weight(at time: Date) -> Double {
        pow(0.5, asOf.timeIntervalSince(time) / config.halfLife)
    }

    private mutating func grow(to item: Item) {
        let needed = Int(item) + 1
        guard needed > itemWeight.count else { return }
        let extra = needed - itemWeight.count
        itemWeight += repeatElement(0, count: extra)
        itemSessions += repeatElement(0, count: extra)
        lengths += repeatElement([], count: extra)
    }

    /// Counts one session: its distinct items, and the time of its last view. Every pair of
    /// items in it counts once, however often each was viewed. `removing` takes a session that
    /// was counted before out again (the incremental update recounts sessions that grew); counts
    /// are signed, so a set of changes can be gathered and then applied to stored counts.
    public mutating func add(session items: Set<Item>, lastViewedAt: Date, removing: Bool = false) {
        guard items.count >= 1 else { return }
        let sign: Int32 = removing ? -1 : 1
        guard items.count <= config.maxSessionItems else {
            botSessions += Int(sign)
            return
        }
        let w = weight(at: lastViewedAt) * Double(sign)
        let n = Int32(items.count)
        sessions += w
        views += w * Double(items.count)
        let sorted = items.sorted()
        grow(to: sorted.last!)
        for a in sorted {
            let i = Int(a)
            itemWeight[i] += w
            itemSessions[i] += sign
            if let at = lengths[i].firstIndex(where: { $0.items == n }) {
                lengths[i][at].weight += w
            } else {
                lengths[i].append(SessionLength(items: n, weight: w))
            }
        }
        for i in sorted.indices {
            for j in sorted.indices where j > i {
                pairs[Self.key(sorted[i], sorted[j]), default: PairCount(weight: 0, sessions: 0)].add(w, sessions: sign)
            }
        }
    }

    // MARK: - Restoring stored counts

    public mutating func restoreTotals(sessions: Double, views: Double, botSessions: Int) {
        self.sessions = sessions
        self.views = views
        self.botSessions = botSessions
    }

    public mutating func restore(item: Item, weight: Double, sessions: Int32) {
        grow(to: item)
        itemWeight[Int(item)] = weight
        itemSessions[Int(item)] = sessions
    }

    public mutating func restore(item: Item, length: Int32, weight: Double) {
        grow(to: item)
        lengths[Int(item)].append(SessionLength(items: length, weight: weight))
    }

    public mutating func restore(pair a: Item, _ b: Item, weight: Double, sessions: Int32) {
        grow(to: max(a, b))
        pairs[Self.key(a, b)] = PairCount(weight: weight, sessions: sessions)
    }

    public mutating func reservePairs(_ count: Int) { pairs.reserveCapacity(count) }

    /// Re-expresses every weight at another time (for adding newer sessions to old counts).
    public mutating func decay(to time: Date) {
        let f = pow(0.5, time.timeIntervalSince(asOf) / config.halfLife)
        asOf = time
        guard f != 1 else { return }
        sessions *= f
        views *= f
        for i in itemWeight.indices { itemWeight[i] *= f }
        for k in pairs.keys { pairs[k]!.weight *= f }
        for i in lengths.indices { for j in lengths[i].indices { lengths[i][j].weight *= f } }
    }

    /// The normalised score of a pair that passed the support threshold.
    public func score(_ a: Item, _ b: Item, method: CoViewMethod? = nil) -> Double {
        guard let cab = pairs[Self.key(a, b)]?.weight else { return 0 }
        return score(a, b, pair: cab, method: method)
    }

    /// The score when c_ab is already known.
    func score(_ a: Item, _ b: Item, pair cab: Double, method: CoViewMethod? = nil) -> Double {
        guard Int(max(a, b)) < itemWeight.count, cab > 0 else { return 0 }
        let ca = itemWeight[Int(a)]
        let cb = itemWeight[Int(b)]
        guard ca > 0, cb > 0 else { return 0 }
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
        guard views > 0, Int(a) < lengths.count else { return 0 }
        let pb = Int(b) < itemWeight.count ? itemWeight[Int(b)] / views : 0
        var e = 0.0
        for l in lengths[Int(a)] { e += l.weight * (1 - pow(1 - pb, Double(l.items - 1))) }
        return e
    }

    /// Each item's top-M co-view neighbours by the configured method, from pairs with at least
    /// `minSupport` sessions, best first (ties by item index), with each pair's session count.
    /// - only: the items whose lists are wanted (nil: all).
    public func neighbours(only wanted: ((Item) -> Bool)? = nil) -> [Item: [CoViewNeighbour]] {
        // Items are dense indices: per-item lists live in an array, not a dictionary of arrays.
        var lists = [[CoViewNeighbour]](repeating: [], count: itemWeight.count)
        for (k, pair) in pairs where Int(pair.sessions) >= config.minSupport {
            let (a, b) = Self.items(of: k)
            let support = pair.sessions
            // Scored from each side: the expected-count method is not symmetric.
            if wanted?(a) ?? true {
                lists[Int(a)].append(CoViewNeighbour(item: b, score: score(a, b, pair: pair.weight), sessions: support))
            }
            if wanted?(b) ?? true {
                lists[Int(b)].append(CoViewNeighbour(item: a, score: score(b, a, pair: pair.weight), sessions: support))
            }
        }
        var result: [Item: [CoViewNeighbour]] = [:]
        for (i, list) in lists.enumerated() where !list.isEmpty {
            result[Item(i)] = Array(
                list.sorted { $0.score != $1.score ? $0.score > $1.score : $0.item < $1.item }.prefix(config.topM))
        }
        return result
    }
}

extension CoViewCounts.PairCount {
    mutating func add(_ w: Double, sessions n: Int32) {
        weight += w
        sessions += n
    }
}
