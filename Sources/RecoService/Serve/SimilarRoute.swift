import Foundation
import Hummingbird
import Ranking

/// `GET /items/{id}/similar`: answered from the in-memory snapshot (no database round trip).
struct SimilarRoute: Sendable {
    let state: ServingState
    let blend: BlendConfig

    func handle(_ request: Request, context: some RequestContext) throws -> Response {
        guard let id = context.parameters.get("id") else { return JSONResponse.error(.badRequest, "missing item id") }
        let parameters: SimilarParameters
        do {
            parameters = try SimilarParameters(request.uri.queryParameters.map { (String($0.key), String($0.value)) })
        } catch {
            return JSONResponse.error(.badRequest, error.message)
        }
        guard let snapshot = state.snapshot else { return JSONResponse.unavailable("the catalog is not loaded yet") }
        let catalog = snapshot.catalog
        guard let item = catalog.index(of: id) else { return JSONResponse.error(.notFound, "unknown item '\(id)'") }
        var config = blend
        if let w = parameters.imageWeight { config.imageWeight = w }
        let answer = catalog.similar(to: item, filter: parameters.filter(in: catalog), config: config,
                                     offset: parameters.offset, limit: parameters.limit)
        return JSONResponse.ok(Self.json(id: id, answer: answer, catalog: catalog, config: config, explain: parameters.explain))
    }

    static func json(id: String, answer: SimilarAnswer, catalog: ServingCatalog, config: BlendConfig, explain: Bool) -> String {
        var out = "{\"item_id\":\(JSON.string(id)),\"model\":\(catalog.model.map(JSON.string) ?? "null"),\"results\":["
        for (n, r) in answer.results.enumerated() {
            if n > 0 { out += "," }
            out += "{\"item_id\":\(JSON.string(catalog.item(r.id).id)),\"score\":\(JSON.number(r.score))"
            out += ",\"image_score\":\(r.imageScore.map(JSON.number) ?? "null"),\"coview_score\":\(r.coviewScore.map(JSON.number) ?? "null")"
            if explain {
                let item = catalog.item(r.id)
                out += ",\"coview_sessions\":\(r.coviewSessions),\"fallback\":\(r.fallback)"
                out += ",\"title\":\(JSON.string(item.title)),\"category\":\(JSON.string(item.facts.category))"
            }
            out += "}"
        }
        out += "],\"fallback\":\(answer.fallback)"
        if explain {
            let confidence = Double(answer.evidence) / (Double(answer.evidence) + config.confidenceK)
            out += ",\"explain\":{\"w_image\":\(JSON.number(config.imageWeight)),\"coview_evidence\":\(answer.evidence)"
            out += ",\"confidence\":\(JSON.number(confidence)),\"confidence_k\":\(JSON.number(config.confidenceK))}"
        }
        return out + "}"
    }
}
