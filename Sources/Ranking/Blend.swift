/// How image similarity and co-views are mixed.
public struct BlendConfig: Sendable, Equatable {
    /// w in score = w·image + (1 − w)·c·coview. 0.3 by measurement (docs/EVALUATION.md): the
    /// best category precision that loses no next-view hit rate.
    public var imageWeight = 0.3
    /// k in the confidence c = n / (n + k), n = the item's co-view evidence (sessions).
    public var confidenceK = 20.0
    /// Results whose image cosine to a better result is at least this are near-duplicates.
    public var duplicateCosine: Float = 0.995
    /// k in the pair's shrink s / (s + k), s = sessions that viewed both items: a co-view score
    /// resting on a few sessions counts for little (0: no shrink).
    public var pairK = 10.0

    public init(imageWeight: Double = 0.3, confidenceK: Double = 20, pairK: Double = 10) {
        self.imageWeight = imageWeight
        self.confidenceK = confidenceK
        self.pairK = pairK
    }

    /// c = n / (n + k) for an item that n sessions viewed.
    public func confidence(evidence: Int) -> Double { Double(evidence) / (Double(evidence) + confidenceK) }

    /// s / (s + k) for a pair that s sessions viewed together.
    public func pairShrink(support: Int) -> Double {
        pairK > 0 ? Double(support) / (Double(support) + pairK) : 1
    }
}

/// One recommended item, able to explain itself.
public struct BlendedResult<ID: Hashable & Sendable>: Sendable, Equatable {
    public let id: ID
    /// The blended score (or, for a fallback result, the popularity share).
    public let score: Double
    /// Image cosine to the query item, when both have vectors.
    public let imageScore: Double?
    /// Co-view score scaled to [0, 1] by the query item's best co-view score.
    public let coviewScore: Double?
    /// Sessions that viewed both.
    public let coviewSessions: Int
    /// The pair's shrink s / (s + k) applied to the co-view score (1 without co-views).
    public let coviewShrink: Double
    /// From the popular-in-category fallback (no image or co-view signal).
    public let fallback: Bool
}

public enum Blender {
    /// Candidates = image neighbours ∪ co-view neighbours, each scored
    /// w·image + (1 − w)·c·shrink·coview (shrink = the pair's s / (s + k)), best first. With no
    /// co-view data this is image order; with no image neighbours, co-view order.
    /// - evidence: the query item's co-view evidence n (sessions that viewed it).
    public static func blend<ID: Comparable>(
        item: ID,
        image: [(id: ID, cosine: Float)],
        coview: [(id: ID, score: Double, sessions: Int)],
        evidence: Int,
        config: BlendConfig
    ) -> [BlendedResult<ID>] {
        let w = min(max(config.imageWeight, 0), 1)
        let best = coview.map(\.score).max() ?? 0
        let confidence = config.confidence(evidence: evidence)
        // One pass per signal into a flat array; a small dictionary finds items in both.
        var merged: [(id: ID, image: Double?, coview: Double?, sessions: Int)] = []
        merged.reserveCapacity(image.count + coview.count)
        var position: [ID: Int] = [:]
        position.reserveCapacity(image.count)
        for n in image where n.id != item {
            position[n.id] = merged.count
            merged.append((n.id, Double(n.cosine), nil, 0))
        }
        var hasCoView = false
        for n in coview where n.id != item {
            hasCoView = true
            let scaled = best > 0 ? max(0, n.score) / best : 0
            if let p = position[n.id] {
                merged[p].coview = scaled
                merged[p].sessions = n.sessions
            } else {
                merged.append((n.id, nil, scaled, n.sessions))
            }
        }
        // Without one of the signals, the other decides alone.
        let (wi, wc) = !hasCoView ? (1.0, 0.0) : position.isEmpty ? (0.0, 1.0) : (w, (1 - w) * confidence)
        return merged.map {
            let shrink = $0.coview == nil ? 1 : config.pairShrink(support: $0.sessions)
            return BlendedResult(
                id: $0.id, score: wi * ($0.image ?? 0) + wc * shrink * ($0.coview ?? 0), imageScore: $0.image,
                coviewScore: $0.coview, coviewSessions: $0.sessions, coviewShrink: shrink, fallback: false)
        }.sorted(by: order)
    }

    /// The most viewed items of the query's category (given most viewed first), marked as a fallback.
    public static func fallback<ID>(item: ID, popular: [(id: ID, views: Int)]) -> [BlendedResult<ID>] {
        let total = Double(max(1, popular.map(\.views).reduce(0, +)))
        // `popular` is most viewed first already.
        return popular.filter { $0.id != item }.map {
            BlendedResult(
                id: $0.id, score: Double($0.views) / total, imageScore: nil, coviewScore: nil, coviewSessions: 0,
                coviewShrink: 1, fallback: true)
        }
    }

    /// Best score first; ties by id so answers are stable (the serving snapshot's indices follow
    /// id order).
    static func order<ID: Comparable>(_ a: BlendedResult<ID>, _ b: BlendedResult<ID>) -> Bool {
        a.score != b.score ? a.score > b.score : a.id < b.id
    }
}
