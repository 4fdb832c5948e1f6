import Catalog
import Embedding
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Ranking
import ServiceLifecycle

/// The HTTP service of reco: similar items, view ingest, search by image, pages, health and
/// metrics, answered from an in-memory snapshot that a refresher reloads from PostgreSQL.
/// `reco serve` parses its options into a `Configuration` and calls `run()`.
public struct RecoServer: Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        /// 0 picks a free port.
        public var port = 8080
        /// The model identifier to serve (nil: the one of the newest neighbour build).
        public var model: String?
        public var refreshInterval: Duration = .seconds(10)
        /// Between co-view updates from new view events (nil: never).
        public var coviewInterval: Duration? = .seconds(60)
        public var blend = BlendConfig()
        public var maxBodyBytes = 1 << 20
        public var searchConcurrency = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)
        public var searchQueue = 16
        public var searchIndexAbove = 1_000_000
        /// Search by image on: the snapshot holds the vectors. Off for replicas that answer
        /// `/similar` only (a fraction of the memory).
        public var searchByImage = true
        public var maxImageBytes = 10 << 20
        public var closeMatch = CloseMatch()
        public var imageRoot: ImageRoot?
        /// Ingest needs this bearer token when set.
        public var ingestToken: String?
        public var idleTimeout: Duration = .seconds(30)
        public var bodyTimeout: Duration = .seconds(30)
        public var shutdownTimeout: Duration = .seconds(10)

        public init() {}
    }

    public let configuration: Configuration
    /// The primary: ingest writes here, and the co-view schedule runs here.
    public let database: Database
    /// Where snapshots load from: a read replica (hot standby), or the primary when nil.
    public let readDatabase: Database?
    /// The network for search by image, or why it did not load (the rest of the service runs).
    public let embedder: Result<Embedder, any Error>
    public let logger: Logger

    /// `embedder` loads the network; it is not called when search by image is off.
    public init(
        configuration: Configuration, database: Database, readDatabase: Database? = nil,
        embedder: () throws -> Embedder, logger: Logger
    ) {
        self.configuration = configuration
        self.database = database
        self.readDatabase = readDatabase
        self.embedder = configuration.searchByImage ? Result(catching: embedder) : .failure(SearchIsOff())
        self.logger = logger
    }

    struct SearchIsOff: Error, CustomStringConvertible {
        var description: String { "this service runs with --no-search (it answers /similar only)" }
    }

    /// Serves until SIGTERM or SIGINT, then finishes requests in flight within the shutdown timeout.
    /// `onListening` gets the address once the socket is bound.
    public func run(onListening: @escaping @Sendable (String) -> Void = { _ in }) async throws {
        let descriptors = FileDescriptorLimit.raise()
        logger.debug("file descriptor limit", metadata: ["limit": "\(descriptors)"])
        let c = configuration
        let state = ServingState()
        let metrics = ServiceMetrics()
        var loader = ServingCatalogLoader(database: readDatabase ?? database, model: c.model)
        loader.searchIndexAbove = c.searchIndexAbove
        loader.withVectors = c.searchByImage
        var services: [any Service] = [
            CatalogRefresher(
                loader: loader, state: state, interval: c.refreshInterval, metrics: metrics, logger: logger)
        ]
        if let every = c.coviewInterval {
            services.append(CoViewScheduler(database: database, interval: every, logger: logger))
        }
        if case .failure(let error) = embedder, c.searchByImage {
            logger.warning("search by image disabled: the model did not load", metadata: ["error": "\(error)"])
        }
        let http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestReadGuard(bodyTimeout: TimeAmount(c.bodyTimeout))],
            idleTimeout: TimeAmount(c.idleTimeout))
        let app = Application(
            router: try router(state: state, metrics: metrics),
            server: .http1(configuration: http),
            configuration: .init(address: .hostname(c.host, port: c.port), serverName: "reco"),
            services: services,
            onServerRunning: { [c] channel in
                onListening("http://\(c.host):\(channel.localAddress?.port ?? c.port)")
            },
            logger: logger)
        var group = ServiceGroupConfiguration(
            services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = c.shutdownTimeout
        group.maximumCancellationDuration = .seconds(2)
        try await ServiceGroup(configuration: group).run()
    }

    /// Every route, answering from `state` (in-process tests install a snapshot and call it).
    func router(state: ServingState, metrics: ServiceMetrics) throws -> Router<BasicRequestContext> {
        let c = configuration
        let unavailable: String
        if case .failure(let error) = embedder { unavailable = "\(error)" } else { unavailable = "" }
        let search = SearchRoute(
            state: state, embedder: try? embedder.get(), unavailable: unavailable, concurrency: c.searchConcurrency,
            queue: c.searchQueue, maxImageBytes: c.maxImageBytes, closeMatch: c.closeMatch,
            rerank: .init(
                scores: StoredVectorScores(database: readDatabase ?? database), metrics: metrics, logger: logger))
        // Ingest has a client waiting: short database timeouts, then 503 so the sender retries.
        let events = ViewEventsRoute(
            database: database.with(timeouts: .interactive), state: state, token: c.ingestToken,
            maxBodyBytes: c.maxBodyBytes)
        return ServiceRouter.make(
            state: state, metrics: metrics, similar: SimilarRoute(state: state, blend: c.blend), events: events,
            search: search, pages: try HTMLPages.load(), imageRoot: c.imageRoot)
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
