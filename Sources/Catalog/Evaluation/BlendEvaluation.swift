import Foundation
import Ranking

/// `reco eval`: offline evaluation of the blend on the stored view log (simulated or real, as
/// imported). Events are split by time: co-views are counted from the events before the last
/// `holdoutDays` (as `reco coviews rebuild` would have counted them then), and each consecutive
/// pair of views (a → b) in the held-out part of a session asks: is b in similar(a)'s top k?
/// Image neighbours are the stored lists (they do not depend on views). Every setting is served by
/// the same `ServingCatalog.similar` as `GET /items/{id}/similar`, in-stock filter off.
public struct BlendEvaluation: Sendable {
    public let database: Database
    public var model: String?
    public var holdoutDays = 7.0
    public var k = 10
    public var imageWeights: [Double] = (0...10).map { Double($0) / 10 }
    public var methods = CoViewMethod.allCases
    public var confidenceK = BlendConfig().confidenceK
    public var coviewConfig = CoViewConfig()

    public init(database: Database, model: String? = nil) {
        self.database = database
        self.model = model
    }

    public struct Row: Sendable {
        /// "image only", "co-view only" or "blend".
        public let kind: String
        /// nil for image only (the normalisation does not matter there).
        public let method: CoViewMethod?
        public let imageWeight: Double
        public let metrics: RankingMetrics
    }

    public struct Report: Sendable {
        public let model: String
        public let split: Date
        public let trainEvents: Int
        public let heldOutEvents: Int
        public let rows: [Row]
        /// Image-only neighbours: share of the top k with the item's category.
        public let categoryPrecision: Double?
        public var best: Row? { rows.max { ($0.metrics.hitRate, $0.metrics.mrr) < ($1.metrics.hitRate, $1.metrics.mrr) } }
    }

    public func run() throws -> Report {
        var loader = ServingCatalogLoader(database: database, model: model)
        loader.withVectors = false  // the evaluation asks for similar items, never searches
        let (base, _) = try loader.load()
        guard let model = base.model else { throw DemoError("no image neighbours are built: run `reco neighbours update` first") }
        var events: [(session: String, item: Int32, at: Date)] = []
        try database.withConnection { c in
            try c.copyOut("SELECT session_id, item_id, viewed_at FROM view_events ORDER BY session_id, viewed_at",
                          columns: [.text, .text, .timestamptz]) { row in
                guard case .text(let session) = row[0], case .text(let item) = row[1], case .timestamp(let at) = row[2] else {
                    throw PostgresError(.decoding, "unexpected view_events row")
                }
                if let i = base.index(of: item) { events.append((session, i, at)) }
            }
        }
        guard let last = events.map(\.at).max() else { throw DemoError("there are no view events to evaluate on") }
        let split = last.addingTimeInterval(-holdoutDays * 86_400)
        let train = events.filter { $0.at < split }, heldOut = events.filter { $0.at >= split }
        var sessions: [[Int32]] = [], current = "", views: [Int32] = []
        for e in heldOut {
            if e.session != current, !views.isEmpty { sessions.append(views); views = [] }
            current = e.session
            views.append(e.item)
        }
        if !views.isEmpty { sessions.append(views) }
        // Sessions the co-view count treats as bots are not asked about either.
        let pairs = OfflineMetrics.consecutivePairs(sessions.filter { Set($0).count <= coviewConfig.maxSessionItems })
        guard !pairs.isEmpty else {
            throw DemoError("the last \(holdoutDays) days of view events hold no consecutive views to evaluate on (\(heldOut.count) events); try a longer --holdout-days")
        }
        let size = base.items.filter(\.facts.active).count
        var filter = ResultFilter<Int32>()
        filter.inStockOnly = false

        func evaluate(_ catalog: ServingCatalog, _ w: Double) -> RankingMetrics {
            let config = BlendConfig(imageWeight: w, confidenceK: confidenceK)
            return OfflineMetrics.score(pairs, k: k, catalogSize: size) {
                catalog.similar(to: $0, filter: filter, config: config, offset: 0, limit: k).results.map(\.id)
            }
        }
        var rows: [Row] = []
        for method in methods {
            let catalog = coviewCatalog(base: base, model: model, train: train, method: method, at: split)
            for w in imageWeights where w < 1 {
                rows.append(Row(kind: w == 0 ? "co-view only" : "blend", method: method, imageWeight: w, metrics: evaluate(catalog, w)))
            }
            if method == methods.first, imageWeights.contains(1) {
                rows.insert(Row(kind: "image only", method: nil, imageWeight: 1, metrics: evaluate(catalog, 1)), at: 0)
            }
        }
        let categories = base.items.map { $0.facts.category.isEmpty ? nil : $0.facts.category }
        let precision = OfflineMetrics.categoryPrecision(neighbours: base.imageNeighbours.map { $0.map(\.index) }, categories: categories, k: k)
        return Report(model: model, split: split, trainEvents: train.count, heldOutEvents: heldOut.count, rows: rows, categoryPrecision: precision)
    }

    /// The catalog with co-views counted from `train` alone, normalised by `method`, as of `at`.
    private func coviewCatalog(base: ServingCatalog, model: String, train: [(session: String, item: Int32, at: Date)],
                               method: CoViewMethod, at: Date) -> ServingCatalog {
        var config = coviewConfig
        config.method = method
        var grouper = SessionGrouper(counts: CoViewCounts(config: config, asOf: CoViewSQL.epoch))
        for e in train { grouper.add(session: e.session, item: e.item, at: e.at) }
        grouper.flush()
        var counts = grouper.counts
        counts.decay(to: at)
        var lists = [[ServingCatalog.CoViewNeighbour]](repeating: [], count: base.items.count)
        for (item, list) in counts.neighbours() where Int(item) < lists.count {
            lists[Int(item)] = list.map { ServingCatalog.CoViewNeighbour(item: $0.item, score: $0.score, sessions: Int32($0.sessions)) }
        }
        let evidence = (0..<base.items.count).map { $0 < counts.itemSessions.count ? counts.itemSessions[$0] : 0 }
        return ServingCatalog(model: model, items: base.items, imageNeighbours: base.imageNeighbours, coviewNeighbours: lists, evidence: evidence)
    }
}
