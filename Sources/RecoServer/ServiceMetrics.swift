import Foundation
import Hummingbird
import Prometheus

/// Prometheus metrics, named and described so `promtool check metrics` finds nothing to say:
/// per-route request counts and latency histograms (seconds), plus the served data's size and age.
final class ServiceMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let items: Gauge
    private let imageLists: Gauge
    private let coviewLists: Gauge
    private let dataAge: Gauge
    private let snapshotAge: Gauge
    private let databaseUp: Gauge
    private let refreshFailures: Counter
    private let rerankFailures: Counter

    /// Answers take about a millisecond: buckets from 50 µs.
    static let latencyBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
        .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]

    init() {
        items = registry.makeGauge(name: "reco_items", help: "Items in the served snapshot.")
        imageLists = registry.makeGauge(
            name: "reco_items_with_image_neighbours",
            help: "Items of the snapshot that have image neighbours.")
        coviewLists = registry.makeGauge(
            name: "reco_items_with_coviews",
            help: "Items of the snapshot that have co-view neighbours.")
        dataAge = registry.makeGauge(
            name: "reco_data_age_seconds",
            help: "Time since the newest served data was written to PostgreSQL.")
        snapshotAge = registry.makeGauge(name: "reco_snapshot_age_seconds", help: "Time since the snapshot was loaded.")
        databaseUp = registry.makeGauge(
            name: "reco_database_up",
            help: "1 when PostgreSQL answered the last check in time, else 0.")
        refreshFailures = registry.makeCounter(
            name: "reco_refresh_failures_total",
            help: "Snapshot refreshes that failed (the previous snapshot kept serving).")
        rerankFailures = registry.makeCounter(
            name: "reco_search_rerank_failures_total",
            help: "Searches answered with int8 scores because the exact vectors could not be read.")
    }

    func requestCounter(method: String, route: String, status: Int) -> Counter {
        registry.makeCounter(
            name: "reco_http_requests_total",
            labels: [("method", method), ("route", route), ("status", "\(status)")],
            help: "HTTP requests answered, by method, route pattern and status.")
    }

    func latencyHistogram(method: String, route: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            name: "reco_http_request_duration_seconds",
            labels: [("method", method), ("route", route)], buckets: Self.latencyBuckets,
            help: "Time to answer an HTTP request, by method and route pattern.")
    }

    func refreshFailed() { refreshFailures.increment() }
    func rerankFailed() { rerankFailures.increment() }

    func update(_ state: ServingState) {
        databaseUp.set(state.databaseUp ? 1.0 : 0.0)
        guard let snapshot = state.snapshot else { return }
        items.set(Double(snapshot.catalog.items.count))
        imageLists.set(Double(snapshot.catalog.itemsWithImageNeighbours))
        coviewLists.set(Double(snapshot.catalog.itemsWithCoViews))
        snapshotAge.set(Date().timeIntervalSince(snapshot.loadedAt))
        if let time = snapshot.version.dataTime { dataAge.set(Date().timeIntervalSince(time)) }
    }

    func exposition(_ state: ServingState) -> String {
        update(state)
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}

/// Counts and times every request under its route pattern (`/items/{id}/similar`, not each id;
/// unmatched paths as one `unmatched` route, so a scanner cannot blow up the label set).
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics
    /// The registered routes' labels, worked out once rather than per request.
    let labels: Set<String>

    init(metrics: ServiceMetrics, routes: [RoutePattern]) {
        self.metrics = metrics
        labels = Set(routes.map(\.label))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        let method = request.method.rawValue.count <= 10 ? request.method.rawValue : "other"
        func record(_ status: Int) {
            let route = context.endpointPath.flatMap { labels.contains($0) ? $0 : nil } ?? "unmatched"
            metrics.requestCounter(method: method, route: route, status: status).increment()
            metrics.latencyHistogram(method: method, route: route).recordNanoseconds(
                Int64((ContinuousClock.now - start) / .nanoseconds(1)))
        }
        do {
            let response = try await next(request, context)
            record(response.status.code)
            return response
        } catch let error as any HTTPResponseError {
            record(error.status.code)
            throw error
        } catch {
            record(500)
            throw error
        }
    }
}
