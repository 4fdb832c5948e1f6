import ArgumentParser
import Catalog
import Embedding
import Foundation
import Logging
import Ranking
import RecoServer

/// `reco serve`: the HTTP service.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve similar items, view-event ingest, health and metrics over HTTP."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var model: ModelOptions

    @Option(help: "A read replica to load snapshots from (default: READ_DATABASE_URL, else the primary).")
    var readDatabaseURL: String? = ProcessInfo.processInfo.environment["READ_DATABASE_URL"].flatMap {
        $0.isEmpty ? nil : $0
    }

    @Option(help: "Address to bind (default: RECO_HOST, else 127.0.0.1).")
    var host: String = ProcessInfo.processInfo.environment["RECO_HOST"] ?? "127.0.0.1"

    @Option(help: "Port (default: RECO_PORT, else 8080; 0 picks a free one).")
    var port: Int = Int(ProcessInfo.processInfo.environment["RECO_PORT"] ?? "") ?? 8080

    @Option(help: "Model identifier to serve (default: the one of the newest neighbour build).")
    var modelID: String?

    @Option(help: "Seconds between checks for new data in PostgreSQL.")
    var refreshSeconds: Double = 10

    @Option(help: "Seconds between co-view updates from new view events (0: never; then run `reco coviews update`).")
    var coviewsEvery: Double = 60

    @Option(help: "Default image weight w in w·image + (1 − w)·c·coview.")
    var imageWeight: Double = BlendConfig().imageWeight

    @Option(help: "k in the co-view confidence c = n / (n + k).")
    var confidenceK: Double = BlendConfig().confidenceK

    @Option(help: "k in a co-view pair's shrink s / (s + k), s = sessions that viewed both (0: none).")
    var pairK: Double = BlendConfig().pairK

    @Option(help: "Largest accepted request body, in bytes.")
    var maxBodyBytes: Int = 1 << 20

    // One core is left to the event loops: on 2 cores, two searches at once took /similar's p99
    // from 3.6 to 7.1 ms at 1,000 requests/s (docs/BENCHMARKS.md).
    @Option(help: "Searches by image running at once (default: one per core but one, at least one).")
    var searchConcurrency: Int = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)

    @Option(help: "Searches by image waiting beyond those; more are refused with 503.")
    var searchQueue: Int = 16

    @Option(help: "From this many vectors on, search by image probes inverted-file cells instead of scanning all.")
    var searchIndexAbove: Int = 1_000_000

    @Flag(help: "Answer /similar only: no vectors in memory and no model (search by image answers 503).")
    var noSearch = false

    @Option(help: "Largest accepted photo for search by image, in bytes.")
    var maxImageBytes: Int = 10 << 20

    @Option(help: "A search by image whose best cosine is below this found nothing close (close_match: false).")
    var closeMatch: Float = CloseMatch().threshold

    @Option(help: "Serve only local images inside this folder (default: RECO_IMAGE_ROOT, else any).")
    var imageRoot: String? = ImageRoot.configured?.path

    @Option(help: "Seconds a connection may stay idle, or take to send a complete request head, before it is closed.")
    var idleTimeout: Double = 30

    @Option(help: "Seconds a request may take to send its body once its head has arrived.")
    var bodyTimeout: Double = 30

    @Option(help: "Seconds to finish requests in flight after SIGTERM/SIGINT before they are cut off.")
    var shutdownTimeout: Double = 10

    @Option(help: "Log level: trace, debug, info, notice, warning, error (default: LOG_LEVEL, else info).")
    var logLevel: String = ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        guard refreshSeconds > 0 else { throw ValidationError("--refresh-seconds must be positive") }
        guard (0...1).contains(imageWeight) else { throw ValidationError("--image-weight must be from 0 to 1") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown log level '\(logLevel)'") }
        guard pairK >= 0 else { throw ValidationError("--pair-k must be ≥ 0") }
        guard coviewsEvery >= 0 else { throw ValidationError("--coviews-every must be ≥ 0") }
        guard idleTimeout > 0, bodyTimeout > 0, shutdownTimeout > 0 else {
            throw ValidationError("--idle-timeout, --body-timeout and --shutdown-timeout must be positive")
        }
        guard (0...1).contains(closeMatch) else { throw ValidationError("--close-match must be from 0 to 1") }
        guard searchConcurrency >= 1, searchQueue >= 0, maxImageBytes >= 1 else {
            throw ValidationError("--search-concurrency must be ≥ 1, --search-queue ≥ 0, --max-image-bytes ≥ 1")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let server = RecoServer(
            configuration: configuration, database: database.makeDatabase(),
            readDatabase: readDatabaseURL.map { Database(url: $0) },
            embedder: { try model.makeEmbedder() },
            logger: Logger(label: "reco.serve"))
        // One line on standard output that scripts and tests wait for.
        try await server.run { Console.out("reco serve: listening on \($0)") }
        Console.err("reco serve: stopped")
    }

    var configuration: RecoServer.Configuration {
        var c = RecoServer.Configuration()
        c.host = host
        c.port = port
        c.model = modelID
        c.refreshInterval = .seconds(refreshSeconds)
        c.coviewInterval = coviewsEvery > 0 ? .seconds(coviewsEvery) : nil
        c.blend = BlendConfig(imageWeight: imageWeight, confidenceK: confidenceK, pairK: pairK)
        c.maxBodyBytes = maxBodyBytes
        c.searchConcurrency = searchConcurrency
        c.searchQueue = searchQueue
        c.searchIndexAbove = searchIndexAbove
        c.searchByImage = !noSearch
        c.maxImageBytes = maxImageBytes
        c.closeMatch = CloseMatch(threshold: closeMatch)
        c.imageRoot = imageRoot.map(ImageRoot.init)
        c.ingestToken = ProcessInfo.processInfo.environment["RECO_INGEST_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        c.idleTimeout = .seconds(idleTimeout)
        c.bodyTimeout = .seconds(bodyTimeout)
        c.shutdownTimeout = .seconds(shutdownTimeout)
        return c
    }
}
