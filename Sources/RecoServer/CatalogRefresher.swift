import Catalog
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle

/// Keeps the served snapshot fresh: every `interval` it asks PostgreSQL for the data's version
/// and reloads the snapshot when it changed. When PostgreSQL is unreachable the old snapshot
/// keeps serving and readiness says "degraded".
struct CatalogRefresher: Service {
    let loader: ServingCatalogLoader
    let state: ServingState
    let interval: Duration
    let metrics: ServiceMetrics
    let logger: Logger

    func run() async throws {
        await Periodic.run(every: interval, startNow: true) { await refreshOnce() }
    }

    func refreshOnce() async {
        do {
            let loader = self.loader
            let version = try await NIOThreadPool.singleton.runIfActive { try loader.version() }
            if state.setDatabaseUp(true) { logger.info("database reachable") }
            if version != state.snapshot?.version {
                let clock = ContinuousClock()
                let start = clock.now
                // The parts that did not change are shared with the snapshot being served.
                let served = state.snapshot
                let previous = served.map { (catalog: $0.catalog, version: $0.version) }
                let loaded = try await NIOThreadPool.singleton.runIfActive { try loader.load(reusing: previous) }
                let catalog = loaded.catalog
                state.install(.init(catalog: catalog, version: loaded.version, loadedAt: Date(), previous: served))
                func seconds(_ s: Double) -> String { s.formatted(.number.precision(.fractionLength(2))) }
                logger.info(
                    "catalog loaded",
                    metadata: [
                        "items": "\(catalog.items.count)", "model": "\(loaded.version.model ?? "none")",
                        "with_image_neighbours": "\(catalog.itemsWithImageNeighbours)",
                        "with_coviews": "\(catalog.itemsWithCoViews)",
                        "megabytes":
                            "\(catalog.bytesByPart.map { "\($0.key)=\($0.value >> 20)" }.joined(separator: " "))",
                        "seconds": "\(seconds((clock.now - start) / .seconds(1)))",
                        // What was read (the rest is shared with the previous snapshot), and how long each took.
                        "read":
                            "\(loaded.partsRead.map { "\($0.part)=\(seconds($0.seconds))" }.joined(separator: " "))",
                    ])
            }
        } catch let error as PostgresError where error.isConnectionLoss {
            metrics.refreshFailed()
            if state.setDatabaseUp(false) {
                logger.warning("database unreachable; serving the last snapshot", metadata: ["error": "\(error)"])
            }
        } catch {
            // The database answers but the data cannot be read (e.g. not migrated): say so every time.
            metrics.refreshFailed()
            state.setDatabaseUp(true)
            logger.error("cannot load the catalog; serving the last snapshot", metadata: ["error": "\(error)"])
        }
        metrics.update(state)
    }
}
