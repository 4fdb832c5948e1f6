import Catalog
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
    /// Pair shrink constants to try (0: no pair-level shrink).
    public var pairKs: [Double] = [0, BlendConfig().pairK]
    public var coviewConfig = CoViewConfig()
    /// Label precision is measured on at most this many items (every n-th, in id order).
    public var labelSample = 2_000

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
        public let pairK: Double
        public let metrics: RankingMetrics
        /// Precision@k of the served lists against each label (`category`, and `subcategory` when
        /// items have that attribute): the share of the top k that carry the item's own label.
        public let labelPrecision: [String: Double]
    }

    public struct Report: Sendable {
        public let model: String
        public let split: Date
        public let trainEvents: Int
        public let heldOutEvents: Int
        public let rows: [Row]
        /// Image-only neighbours: share of the top k with the item's category.
        public let categoryPrecision: Double?
        /// The labels `labelPrecision` reports, in order.
        public let labels: [String]
        public var best: Row? {
            rows.max { ($0.metrics.hitRate, $0.metrics.mrr) < ($1.metrics.hitRate, $1.metrics.mrr) }
        }
    }

    public func run() throws -> Report {
        var loader = ServingCatalogLoader(database: database, model: model)
        loader.withVectors = false  // the evaluation asks for similar items, never searches
        let base = try loader.load().catalog
        guard let model = base.model else {
            throw EvaluationError.noImageNeighbours
        }
        var events: [(session: String, item: Int32, at: Date)] = []
        try database.withConnection { c in
            try c.copyOut(
                "SELECT session_id, item_id, viewed_at FROM view_events ORDER BY session_id, viewed_at",
                columns: [.text, .text, .timestamptz]
            ) { row in
                if let i = base.index(of: try row.string(1)) { events.append((try row.string(0), i, try row.date(2))) }
            }
        }
        guard let last = events.map(\.at).max() else { throw EvaluationError.noViewEvents }
        let split = last.addingTimeInterval(-holdoutDays * 86_400)
        let train = events.filter { $0.at < split }
        let heldOut = events.filter { $0.at >= split }
        var sessions: [[Int32]] = []
        var current = ""
        var views: [Int32] = []
        for e in heldOut {
            if e.session != current, !views.isEmpty {
                sessions.append(views)
                views = []
            }
            current = e.session
            views.append(e.item)
        }
        if !views.isEmpty { sessions.append(views) }
        // Sessions the co-view count treats as bots are not asked about either.
        let pairs = OfflineMetrics.consecutivePairs(sessions.filter { Set($0).count <= coviewConfig.maxSessionItems })
        guard !pairs.isEmpty else {
            throw EvaluationError.noHeldOutPairs(days: holdoutDays, events: heldOut.count)
        }
        let size = base.items.filter(\.facts.active).count
        var filter = ResultFilter<Int32>()
        filter.inStockOnly = false

        let labels = try itemLabels(base)
        let sample = Array(
            base.items.indices.filter { base.items[$0].facts.active }
                .enumerated().filter { $0.offset % max(1, size / max(1, labelSample)) == 0 }.map { Int32($0.element) })
        func evaluate(_ catalog: ServingCatalog, kind: String, method: CoViewMethod?, w: Double, pairK: Double) -> Row {
            let config = BlendConfig(imageWeight: w, confidenceK: confidenceK, pairK: pairK)
            let list = { (item: Int32) in
                catalog.similar(to: item, filter: filter, config: config, offset: 0, limit: k).results.map(\.id)
            }
            let metrics = OfflineMetrics.score(pairs, k: k, catalogSize: size, recommend: list)
            var neighbours = [[Int32]](repeating: [], count: base.items.count)
            for item in sample { neighbours[Int(item)] = list(item) }
            var precision: [String: Double] = [:]
            for (name, values) in labels {
                precision[name] = OfflineMetrics.categoryPrecision(neighbours: neighbours, categories: values, k: k)
            }
            return Row(
                kind: kind, method: method, imageWeight: w, pairK: pairK, metrics: metrics,
                labelPrecision: precision)
        }
        var rows: [Row] = []
        for method in methods {
            let catalog = coviewCatalog(base: base, model: model, train: train, method: method, at: split)
            for pairK in pairKs {
                for w in imageWeights where w < 1 {
                    let kind = w == 0 ? "co-view only" : "blend"
                    rows.append(evaluate(catalog, kind: kind, method: method, w: w, pairK: pairK))
                }
            }
            if method == methods.first, imageWeights.contains(1) {
                rows.insert(evaluate(catalog, kind: "image only", method: nil, w: 1, pairK: 0), at: 0)
            }
        }
        let categories = base.items.map { $0.facts.category.isEmpty ? nil : $0.facts.category }
        let precision = OfflineMetrics.categoryPrecision(
            neighbours: base.imageNeighbours.map { $0.map(\.index) }, categories: categories, k: k)
        return Report(
            model: model, split: split, trainEvents: train.count, heldOutEvents: heldOut.count, rows: rows,
            categoryPrecision: precision, labels: labels.map(\.name))
    }

    /// Per item (by snapshot index): its category, and its `subcategory` attribute when any item has one.
    private func itemLabels(_ base: ServingCatalog) throws -> [(name: String, values: [String?])] {
        var category = [String?](repeating: nil, count: base.items.count)
        var subcategory = [String?](repeating: nil, count: base.items.count)
        try database.withConnection { c in
            for row in try c.query("SELECT id, category, attributes->>'subcategory' AS sub FROM items") {
                guard let i = base.index(of: try row.string("id")) else { continue }
                let own = try row.string("category")
                category[Int(i)] = own.isEmpty ? nil : own
                subcategory[Int(i)] = try row.optionalString("sub").flatMap { $0.isEmpty ? nil : $0 }
            }
        }
        var labels = [(name: "category", values: category)]
        if subcategory.contains(where: { $0 != nil }) { labels.append(("subcategory", subcategory)) }
        return labels
    }

    /// The catalog with co-views counted from `train` alone, normalised by `method`, as of `at`.
    private func coviewCatalog(
        base: ServingCatalog, model: String, train: [(session: String, item: Int32, at: Date)],
        method: CoViewMethod, at: Date
    ) -> ServingCatalog {
        var config = coviewConfig
        config.method = method
        var grouper = SessionGrouper(counts: CoViewCounts(config: config, asOf: CoViewConfig.weightEpoch))
        for e in train { grouper.add(session: e.session, item: e.item, at: e.at) }
        grouper.flush()
        var counts = grouper.counts
        counts.decay(to: at)
        var lists = [[CoViewNeighbour]](repeating: [], count: base.items.count)
        for (item, list) in counts.neighbours() where Int(item) < lists.count { lists[Int(item)] = list }
        let evidence = (0..<base.items.count).map { $0 < counts.itemSessions.count ? counts.itemSessions[$0] : 0 }
        return ServingCatalog(
            model: model, items: base.items, imageNeighbours: base.imageNeighbours,
            coviewNeighbours: FlatLists(lists, count: base.items.count), evidence: evidence)
    }
}

/// Why an evaluation cannot run.
public enum EvaluationError: Error, CustomStringConvertible {
    case noImageNeighbours
    case noViewEvents
    case noHeldOutPairs(days: Double, events: Int)

    public var description: String {
        switch self {
        case .noImageNeighbours: "no image neighbours are built: run `reco neighbours update` first"
        case .noViewEvents: "there are no view events to evaluate on"
        case .noHeldOutPairs(let days, let events):
            "the last \(days) days of view events hold no consecutive views to evaluate on (\(events) events); "
                + "try a longer --holdout-days"
        }
    }
}
