import Catalog
import Hummingbird

/// Every route of `reco serve` (docs: Resources/openapi.yaml), registered from one table, which
/// also answers 405's `Allow` and names the metrics' route labels.
enum ServiceRouter {
    typealias Handler = @Sendable (Request, BasicRequestContext) async throws -> Response

    static func make(
        state: ServingState, metrics: ServiceMetrics, similar: SimilarRoute, events: ViewEventsRoute,
        search: SearchRoute, pages: HTMLPages, imageRoot: ImageRoot?
    ) -> Router<BasicRequestContext> {
        let health = HealthRoutes(state: state, metrics: metrics)
        let page = PageRoutes(state: state, similar: similar, pages: pages, search: search)
        let image = ImageRoute(state: state, root: imageRoot)
        let routes: [(method: HTTPRequest.Method, path: String, handle: Handler)] = [
            (.get, "/items/:id/similar", { try similar.handle($0, context: $1) }),
            (.post, "/events/views", { try await events.handle($0, context: $1) }),
            (.post, "/search/image", { try await search.handle($0, context: $1) }),
            (.get, "/", { page.index($0, context: $1) }),
            (.get, "/items/:id", { page.item($0, context: $1) }),
            (.post, "/search", { try await page.searchPage($0, context: $1) }),
            (.get, "/images/:id", { try await image.handle($0, context: $1) }),
            (.get, "/healthz", { health.healthz($0, context: $1) }),
            (.get, "/readyz", { health.readyz($0, context: $1) }),
            (.get, "/metrics", { health.metrics($0, context: $1) }),
            (.get, "/openapi.yaml", { health.openAPI($0, context: $1) }),
        ]
        let patterns = routes.map { RoutePattern(path: $0.path, method: $0.method) }
        // HEAD is answered wherever GET is (the GET's headers, no body).
        let router = Router(options: .autoGenerateHeadEndpoints)
        // Request logs carry Hummingbird's request id; per request only at debug level (hot path).
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics, routes: patterns))
        router.add(middleware: ErrorBodyMiddleware(routes: patterns))
        for route in routes { router.on(RouterPath(route.path), method: route.method, use: route.handle) }
        return router
    }
}

/// A registered route as data: its path pattern and the methods it answers (GET brings HEAD).
struct RoutePattern: Sendable {
    let path: String
    let methods: [HTTPRequest.Method]

    init(path: String, method: HTTPRequest.Method) {
        self.path = path
        methods = method == .get ? [.get, .head] : [method]
    }

    func matches(_ path: Substring) -> Bool {
        let want = self.path.split(separator: "/")
        let have = path.split(separator: "/", omittingEmptySubsequences: false)
            .filter { !$0.isEmpty }
        guard want.count == have.count else { return false }
        return zip(want, have).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
    }

    /// The path as the router reports it for a matched request, `/items/{id}/similar` (as OpenAPI
    /// writes it): the metrics' route label.
    var label: String { RouterPath(path).description }
}

/// Errors thrown inside the router (404 for an unknown path, 413 from a body over its limit…)
/// become `{"error": …}` bodies like every other error; a known path asked with another method is
/// 405 with `Allow`.
struct ErrorBodyMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: [RoutePattern]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            if error.status == .notFound {
                let allowed = routes.filter { $0.matches(request.uri.path[...]) }.flatMap(\.methods)
                if allowed.isEmpty { return JSONResponse.error(.notFound, "no such path: \(request.uri.path)") }
                if !allowed.contains(request.method) {
                    let allow = allowed.map(\.rawValue).joined(separator: ", ")
                    return JSONResponse.error(
                        .methodNotAllowed, "\(request.method.rawValue) is not allowed here; use \(allow)",
                        headers: [.allow: allow])
                }
            }
            let http = error as? HTTPError
            var response = JSONResponse.error(error.status, http?.body ?? Self.reason(error.status))
            for field in http?.headers ?? [:] where field.name != .contentLength && response.headers[field.name] == nil
            {
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
