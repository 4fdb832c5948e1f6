import Hummingbird

/// Every route of `reco serve` (docs: Resources/openapi.yaml).
enum ServiceRouter {
    static func make(state: ServingState, metrics: ServiceMetrics, similar: SimilarRoute, events: ViewEventsRoute, search: SearchRoute,
                     pages: HTMLPages) -> Router<BasicRequestContext> {
        let router = Router()
        let health = HealthRoutes(state: state, metrics: metrics)
        // Request logs carry Hummingbird's request id; per request only at debug level (hot path).
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: MetricsMiddleware())
        router.get("/items/:id/similar") { request, context in try similar.handle(request, context: context) }
        router.post("/events/views") { request, context in try await events.handle(request, context: context) }
        router.post("/search/image") { request, context in try await search.handle(request, context: context) }
        let page = PageRoutes(state: state, similar: similar, pages: pages, search: search), image = ImageRoute(state: state)
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
