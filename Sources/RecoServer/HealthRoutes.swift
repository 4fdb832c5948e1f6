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
        let database = state.databaseUp ? "up" : "down"
        guard let snapshot = state.snapshot else {
            return JSONResponse.encoded(Readiness(status: "not_ready", database: database), status: .serviceUnavailable)
        }
        let catalog = snapshot.catalog
        return JSONResponse.encoded(
            Readiness(
                status: state.databaseUp ? "ready" : "degraded", database: database, model: catalog.model,
                items: catalog.items.count, itemsWithImageNeighbours: catalog.itemsWithImageNeighbours,
                itemsWithCoviews: catalog.itemsWithCoViews, loadedAt: snapshot.loadedAt,
                dataAgeSeconds: snapshot.version.dataTime.map { Date().timeIntervalSince($0).rounded() }))
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

/// The answer of `/readyz`; the snapshot's fields are absent before one is loaded.
struct Readiness: Encodable {
    var status: String
    var database: String
    var model: String?
    var items: Int?
    var itemsWithImageNeighbours: Int?
    var itemsWithCoviews: Int?
    var loadedAt: Date?
    var dataAgeSeconds: Double?
}
