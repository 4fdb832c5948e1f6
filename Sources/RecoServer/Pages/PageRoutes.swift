import Foundation
import Hummingbird
import Ranking

/// The pages a person looks at: `GET /` (items to start from, search by photo), `GET
/// /items/{id}` (an item and its similar items, with the blend's controls) and `POST /search`
/// (a photo's results). Answered from the same snapshot and code as the JSON routes.
struct PageRoutes: Sendable {
    let state: ServingState
    let similar: SimilarRoute
    let pages: HTMLPages
    let search: SearchRoute
    static let pageSize = 48

    func index(_ request: Request, context: some RequestContext) -> Response {
        guard let snapshot = state.snapshot else {
            return pages.error(.serviceUnavailable, "The catalog is not loaded yet; try again in a few seconds.")
        }
        let catalog = snapshot.catalog
        let query = request.uri.queryParameters
        let q = query["q"].map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
        let category = query["category"].map(String.init) ?? ""
        let offset: Int
        switch query["offset"].map({ Int(String($0)) }) {
        case nil: offset = 0
        case let value?? where value >= 0: offset = value
        default: return pages.error(.badRequest, "offset must be a whole number ≥ 0")
        }
        let active = catalog.items.indices.filter { catalog.items[$0].facts.active }
        var counts: [String: Int] = [:]
        for i in active { counts[catalog.items[i].facts.category, default: 0] += 1 }
        let needle = q.lowercased()
        let matching = active.filter { i in
            let item = catalog.items[i]
            return (category.isEmpty || item.facts.category == category)
                && (needle.isEmpty || item.id.lowercased().contains(needle) || item.title.lowercased().contains(needle))
        }
        let page = matching.dropFirst(offset).prefix(Self.pageSize)
        func link(_ offset: Int) -> String {
            var parts = ["offset=\(offset)"]
            if !q.isEmpty { parts.append("q=\(Self.escape(q))") }
            if !category.isEmpty { parts.append("category=\(Self.escape(category))") }
            return "/?" + parts.joined(separator: "&")
        }
        return pages.render(
            "index",
            [
                "title": "Catalog", "q": q, "has_q": !q.isEmpty,
                "categories": counts.keys.sorted().map {
                    ["name": $0, "count": counts[$0]!, "selected": $0 == category]
                },
                "items": page.map { Self.card(catalog.items[$0]) },
                "shown": page.count, "matching": matching.count,
                "previous": offset > 0 ? link(max(0, offset - Self.pageSize)) : false,
                "next": offset + Self.pageSize < matching.count ? link(offset + Self.pageSize) : false,
            ])
    }

    func item(_ request: Request, context: some RequestContext) -> Response {
        let snapshot: ServingState.Snapshot
        let answer: SimilarAnswer
        let config: BlendConfig
        let parameters: SimilarParameters
        let index: Int32
        switch similar.similar(request, context: context) {
        case .refused(let status, let message): return pages.error(status, message)
        case .answered(let s, let a, let c, let p, let i):
            (snapshot, answer, config, parameters, index) = (s, a, c, p, i)
        }
        let catalog = snapshot.catalog
        let item = catalog.item(index)
        let categories = Set(catalog.items.map(\.facts.category)).sorted()
        var choices: [[String: Any]] = [
            ["value": "", "label": "any", "selected": parameters.category == .any],
            ["value": "same", "label": "same as this item", "selected": parameters.category == .same],
        ]
        choices += categories.map { ["value": $0, "label": $0, "selected": parameters.category == .named($0)] }
        let confidence = config.confidence(evidence: answer.evidence)
        return pages.render(
            "item",
            [
                "title": item.title.isEmpty ? item.id : item.title,
                "item": Self.card(item), "model": catalog.model ?? "none",
                "evidence": answer.evidence, "confidence": Self.format(confidence),
                "w_image": Self.format(config.imageWeight), "in_stock_only": parameters.inStockOnly,
                "category_choices": choices, "fallback": answer.fallback,
                "results": answer.results.map { r in
                    var card = Self.card(catalog.item(r.id))
                    card["note"] =
                        "score \(Self.format(r.score)) · image \(r.imageScore.map(Self.format) ?? "–") · co-view "
                        + "\(r.coviewScore.map(Self.format) ?? "–")"
                        + (r.coviewSessions > 0 ? " (\(r.coviewSessions) sessions)" : "")
                    card["fallback"] = r.fallback
                    return card
                },
            ])
    }

    /// `POST /search`: the upload form's target; the same search as `POST /search/image`.
    func searchPage(_ request: Request, context: some RequestContext) async throws -> Response {
        switch try await search.search(request) {
        case .refused(let status, let message, _):
            return pages.error(status, message)
        case .found(let snapshot, _, let found):
            var page: [String: Any] = [
                "title": "Search by photo",
                "results": found.map { n in
                    var card = Self.card(snapshot.catalog.item(n.index))
                    card["note"] = "cosine \(Self.format(Double(n.score)))"
                    return card
                },
            ]
            if let best = found.first?.score, !search.closeMatch.isClose(bestScore: best) {
                page["nothing_close"] = Self.format(Double(best))
            }
            return pages.render("search", page)
        }
    }

    static func card(_ item: ServingCatalog.Item) -> [String: Any] {
        [
            "id": item.id, "path": ItemPath.segment(item.id), "title": item.title.isEmpty ? item.id : item.title,
            "category": item.facts.category, "in_stock": item.facts.inStock,
        ]
    }

    static func format(_ x: Double) -> String { String(format: "%.3f", x) }

    static func escape(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }
}
