import Foundation
import Metrics
import Prometheus

/// Prometheus metrics: Hummingbird's per-route request counters and latency histograms (through
/// swift-metrics), plus the served data's size and age.
final class ServiceMetrics: Sendable {
    private let items = Gauge(label: "reco_items")
    private let imageLists = Gauge(label: "reco_items_with_image_neighbours")
    private let coviewLists = Gauge(label: "reco_items_with_coviews")
    private let dataAge = Gauge(label: "reco_data_age_seconds")
    private let snapshotAge = Gauge(label: "reco_snapshot_age_seconds")
    private let databaseUp = Gauge(label: "reco_database_up")

    /// Must run before any metric is created (swift-metrics allows one bootstrap per process).
    static func bootstrap() -> ServiceMetrics {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Answers take about a millisecond: buckets from 50 µs.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
            .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        MetricsSystem.bootstrap(factory)
        return ServiceMetrics(registry: registry)
    }

    private let registry: PrometheusCollectorRegistry
    private init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    func update(_ state: ServingState) {
        databaseUp.record(state.databaseUp ? 1 : 0)
        guard let snapshot = state.snapshot else { return }
        items.record(snapshot.catalog.items.count)
        imageLists.record(snapshot.catalog.itemsWithImageNeighbours)
        coviewLists.record(snapshot.catalog.itemsWithCoViews)
        snapshotAge.record(Date().timeIntervalSince(snapshot.loadedAt))
        if let time = snapshot.version.dataTime { dataAge.record(Date().timeIntervalSince(time)) }
    }

    func exposition(_ state: ServingState) -> String {
        update(state)
        return registry.emitToString()
    }
}
