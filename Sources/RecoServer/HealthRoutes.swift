import Catalog
import Foundation
import Hummingbird

/// Liveness, readiness, metrics and the API description.
struct HealthRoutes: Sendable {
    let state: ServingState
    let metrics: ServiceMetrics

    /// The process answers.
    func healthz(_ request: Request, context: some RequestContext) -> Response {
        JSONResponse.ok(#"{"status":"ok"}"#)
    }

    /// 200 once a snapshot is loaded ("ready", or "degraded" while PostgreSQL is unreachable and
    /// the last snapshot is served); 503 before any data is loaded.
    func readyz(_ request: Request, context: some RequestContext) -> Response {
        let up = state.databaseUp
        guard let snapshot = state.snapshot else {
            return JSONResponse.ok(
                JSON.object([("status", JSON.string("not_ready")), ("database", JSON.string(up ? "up" : "down"))]),
                status: .serviceUnavailable)
        }
        let age = snapshot.version.dataTime.map { Date().timeIntervalSince($0) }
        return JSONResponse.ok(
            JSON.object([
                ("status", JSON.string(up ? "ready" : "degraded")),
                ("database", JSON.string(up ? "up" : "down")),
                ("model", snapshot.catalog.model.map(JSON.string) ?? "null"),
                ("items", "\(snapshot.catalog.items.count)"),
                ("items_with_image_neighbours", "\(snapshot.catalog.itemsWithImageNeighbours)"),
                ("items_with_coviews", "\(snapshot.catalog.itemsWithCoViews)"),
                ("loaded_at", JSON.string(ISO8601.format(snapshot.loadedAt))),
                ("data_age_seconds", age.map { JSON.number($0.rounded()) } ?? "null"),
            ]))
    }

    func metrics(_ request: Request, context: some RequestContext) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: metrics.exposition(state))))
    }

    static let openAPI = EmbeddedFiles.text["openapi.yaml"] ?? ""

    func openAPI(_ request: Request, context: some RequestContext) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: Self.openAPI)))
    }
}
