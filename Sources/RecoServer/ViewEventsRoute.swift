import Catalog
import Foundation
import Hummingbird
import Logging
import NIOPosix

/// `POST /events/views`: a JSON array of view events, answered 202 only once they are committed
/// to PostgreSQL, 503 when they cannot be (the sender keeps them and retries).
struct ViewEventsRoute: Sendable {
    let database: Database
    let state: ServingState
    /// Bearer token required when set (RECO_INGEST_TOKEN).
    let token: String?
    let maxBodyBytes: Int
    static let maxEvents = 10_000

    func handle(_ request: Request, context: some RequestContext) async throws -> Response {
        if let token {
            guard request.headers[.authorization] == "Bearer \(token)" else {
                return JSONResponse.error(
                    .unauthorized, "a valid bearer token is required", headers: [.wwwAuthenticate: "Bearer"])
            }
        }
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("application/json") else {
            let given = request.headers[.contentType].map { "not \($0)" } ?? "and Content-Type must say so"
            return JSONResponse.error(.unsupportedMediaType, "the body must be application/json, \(given)")
        }
        var body = try await request.body.collect(upTo: maxBodyBytes)
        let events: [ViewEvent]
        do {
            events = try ViewEvent.parseBatch(Data(body.readBytes(length: body.readableBytes) ?? []))
        } catch {
            return JSONResponse.error(
                .badRequest, error.line > 0 ? "event \(error.line): \(error.reason)" : error.reason)
        }
        guard events.count <= Self.maxEvents else {
            return JSONResponse.error(.badRequest, "at most \(Self.maxEvents) events per request, not \(events.count)")
        }
        do {
            let importer = ViewImporter(database: database)
            // A retry after a lost connection may store a batch twice; co-views count distinct items per
            // session, so a repeated view changes nothing, while a dropped batch would be lost.
            try await NIOThreadPool.singleton.runIfActive { try importer.append(events, retryOnConnectionLoss: true) }
            state.setDatabaseUp(true)
        } catch let error as PostgresError where error.isCausedByData {
            // Validation should have caught it; either way, sending the same batch again cannot help.
            context.logger.warning("view events refused by the database", metadata: ["error": "\(error)"])
            return JSONResponse.error(.badRequest, "the database refused the events: \(error.firstLine)")
        } catch {
            state.setDatabaseUp(false)
            context.logger.warning(
                "view events not stored", metadata: ["events": "\(events.count)", "error": "\(error)"])
            return JSONResponse.unavailable("the events could not be stored; retry later")
        }
        return JSONResponse.ok(JSON.object([("accepted", "\(events.count)")]), status: .accepted)
    }
}
