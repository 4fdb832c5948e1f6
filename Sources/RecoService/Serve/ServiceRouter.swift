import Catalog
import Hummingbird

/// Every route of `reco serve` (docs: Resources/openapi.yaml).
enum ServiceRouter {
    static func make(state: ServingState, metrics: ServiceMetrics, similar: SimilarRoute, events: ViewEventsRoute,
                     search: SearchRoute, pages: HTMLPages, imageRoot: ImageRoot?) -> Router<BasicRequestContext> {
        // HEAD is answered wherever GET is (the GET's headers, no body).
        let router = Router(options: .autoGenerateHeadEndpoints)
        let health = HealthRoutes(state: state, metrics: metrics)
        let page = PageRoutes(state: state, similar: similar, pages: pages, search: search)
        let image = ImageRoute(state: state, root: imageRoot)
        // Request logs carry Hummingbird's request id; per request only at debug level (hot path).
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorBodyMiddleware(routes: RoutePattern.all))
        router.get("/items/:id/similar") { request, context in try similar.handle(request, context: context) }
        router.post("/events/views") { request, context in try await events.handle(request, context: context) }
        router.post("/search/image") { request, context in try await search.handle(request, context: context) }
        router.get("/") { request, context in page.index(request, context: context) }
        router.get("/items/:id") { request, context in page.item(request, context: context) }
        router.post("/search") { request, context in try await page.searchPage(request, context: context) }
        router.get("/images/:id") { request, context in try await image.handle(request, context: context) }
        router.get("/healthz") { request, context in health.healthz(request, context: context) }
        router.get("/readyz") { request, context in health.readyz(request, context: context) }
        router.get("/metrics") { request, context in health.metrics(request, context: context) }
        router.get("/openapi.yaml") { request, context in health.openAPI(request, context: context) }
        return router
    }
}

/// The routes above as data: which methods each path takes (for 405's `Allow`).
struct RoutePattern: Sendable {
    let path: String
    let methods: [HTTPRequest.Method]

    static let all: [RoutePattern] = [
        RoutePattern(path: "/items/:id/similar", methods: [.get, .head]),
        RoutePattern(path: "/events/views", methods: [.post]),
        RoutePattern(path: "/search/image", methods: [.post]),
        RoutePattern(path: "/", methods: [.get, .head]),
        RoutePattern(path: "/items/:id", methods: [.get, .head]),
        RoutePattern(path: "/search", methods: [.post]),
        RoutePattern(path: "/images/:id", methods: [.get, .head]),
        RoutePattern(path: "/healthz", methods: [.get, .head]),
        RoutePattern(path: "/readyz", methods: [.get, .head]),
        RoutePattern(path: "/metrics", methods: [.get, .head]),
        RoutePattern(path: "/openapi.yaml", methods: [.get, .head]),
    ]

    func matches(_ path: Substring) -> Bool {
        let want = self.path.split(separator: "/"), have = path.split(separator: "/", omittingEmptySubsequences: false)
            .filter { !$0.isEmpty }
        guard want.count == have.count else { return false }
        return zip(want, have).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
    }

    /// `/items/:id/similar` as OpenAPI writes it, `/items/{id}/similar` (metrics labels).
    static func openAPI(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
    }
}

/// Errors thrown inside the router (404 for an unknown path, 413 from a body over its limit…)
/// become `{"error": …}` bodies like every other error; a known path asked with another method is
/// 405 with `Allow`.
struct ErrorBodyMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: [RoutePattern]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            if error.status == .notFound {
                let allowed = routes.filter { $0.matches(request.uri.path[...]) }.flatMap(\.methods)
                if allowed.isEmpty { return JSONResponse.error(.notFound, "no such path: \(request.uri.path)") }
                if !allowed.contains(request.method) {
                    let allow = allowed.map(\.rawValue).joined(separator: ", ")
                    return JSONResponse.error(.methodNotAllowed, "\(request.method.rawValue) is not allowed here; use \(allow)",
                                              headers: [.allow: allow])
                }
            }
            let http = error as? HTTPError
            var response = JSONResponse.error(error.status, http?.body ?? Self.reason(error.status))
            for field in http?.headers ?? [:] where field.name != .contentLength && response.headers[field.name] == nil {
                response.headers.append(field)
            }
            return response
        }
    }

    static func reason(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 413: "the request body is too large"
        default: status.reasonPhrase.lowercased()
        }
    }
}
