import Catalog
import Compute
import Foundation
import Hummingbird
import Ranking

/// `GET /items/{id}/similar`: answered from the in-memory snapshot (no database round trip).
struct SimilarRoute: Sendable {
    let state: ServingState
    let blend: BlendConfig

    /// What a request came to: an answer on a snapshot, or a refusal with its status and reason.
    enum Outcome {
        case answered(ServingState.Snapshot, SimilarAnswer, config: BlendConfig, SimilarParameters, item: Int32)
        case refused(HTTPResponse.Status, String)
    }

    /// Parameters, snapshot, item, then the blend: shared by this route and the item page.
    func similar(_ request: Request, context: some RequestContext) -> Outcome {
        guard let id = ItemPath.id(context.parameters) else { return .refused(.badRequest, "missing item id") }
        let parameters: SimilarParameters
        do {
            parameters = try SimilarParameters(request.uri.queryParameters.map { (String($0.key), String($0.value)) })
        } catch {
            return .refused(.badRequest, error.message)
        }
        guard let snapshot = state.snapshot else {
            return .refused(.serviceUnavailable, "the catalog is not loaded yet")
        }
        let catalog = snapshot.catalog
        guard let item = catalog.index(of: id) else { return .refused(.notFound, "unknown item '\(id)'") }
        var config = blend
        if let w = parameters.imageWeight { config.imageWeight = w }
        let answer = catalog.similar(
            to: item, filter: parameters.filter(in: catalog), config: config,
            offset: parameters.offset, limit: parameters.limit)
        return .answered(snapshot, answer, config: config, parameters, item: item)
    }

    /// `GET /items/{id}/similar`: the outcome as JSON.
    func handle(_ request: Request, context: some RequestContext) throws -> Response {
        switch similar(request, context: context) {
        case .refused(.serviceUnavailable, let message): return JSONResponse.unavailable(message)
        case .refused(let status, let message): return JSONResponse.error(status, message)
        case .answered(let snapshot, let answer, let config, let parameters, let item):
            return JSONResponse.ok(
                Self.json(item: item, answer: answer, snapshot: snapshot, config: config, explain: parameters.explain))
        }
    }

    /// A score at float32 precision (the image cosines' own; 7 significant digits): its shortest
    /// text fits in a small string, where a double's 17 digits took a heap allocation each.
    private static func score(_ x: Double) -> String { JSON.number(Float(x)) }

    /// Built as bytes with the ids pre-encoded: on this hot path String interpolation was a
    /// sixth of the CPU time.
    static func json(
        item: Int32, answer: SimilarAnswer, snapshot: ServingState.Snapshot, config: BlendConfig, explain: Bool
    ) -> ByteBuffer {
        let catalog = snapshot.catalog
        var out = ByteBuffer()
        out.reserveCapacity(96 + 112 * answer.results.count)
        out.writeString("{\"item_id\":")
        out.writeString(snapshot.jsonIDs[Int(item)])
        out.writeString(",\"model\":")
        out.writeString(snapshot.jsonModel)
        out.writeString(",\"results\":[")
        snapshot.jsonIDs.withUnsafeBufferPointer { ids in
            for r in answer.results { Prefetch.element(Int(r.id), of: ids) }
        }
        for (n, r) in answer.results.enumerated() {
            out.writeString(n == 0 ? "{\"item_id\":" : ",{\"item_id\":")
            out.writeString(snapshot.jsonIDs[Int(r.id)])
            out.writeString(",\"score\":")
            out.writeString(score(r.score))
            out.writeString(",\"image_score\":")
            out.writeString(r.imageScore.map(score) ?? "null")
            out.writeString(",\"coview_score\":")
            out.writeString(r.coviewScore.map(score) ?? "null")
            if explain {
                let item = catalog.item(r.id)
                out.writeString(
                    ",\"coview_sessions\":\(r.coviewSessions),\"coview_shrink\":\(JSON.number(r.coviewShrink))")
                out.writeString(",\"fallback\":\(r.fallback)")
                out.writeString(
                    ",\"title\":\(JSON.string(item.title)),\"category\":\(JSON.string(item.facts.category))")
            }
            out.writeString("}")
        }
        out.writeString("],\"fallback\":\(answer.fallback)")
        if explain {
            let confidence = config.confidence(evidence: answer.evidence)
            out.writeString(
                ",\"explain\":{\"w_image\":\(JSON.number(config.imageWeight)),\"coview_evidence\":\(answer.evidence)")
            out.writeString(
                ",\"confidence\":\(JSON.number(confidence)),\"confidence_k\":\(JSON.number(config.confidenceK))")
            out.writeString(",\"pair_k\":\(JSON.number(config.pairK))}")
        }
        out.writeString("}")
        return out
    }
}
