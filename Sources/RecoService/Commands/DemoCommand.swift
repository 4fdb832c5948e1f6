import ArgumentParser
import Catalog
import Demo
import Embedding
import Foundation

/// `reco demo`: the main job on the embedded default. Every step skips what is already done, so a
/// rerun goes straight to serving.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract:
            "Build the demo catalog (Tux Paint photo stamps), embed it, simulate sessions, compute neighbours and "
            + "co-views, then serve it.",
        discussion:
            "ops/run fetches the photos and starts the local PostgreSQL first. The sessions are simulated, not real "
            + "shoppers."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var model: ModelOptions

    @Option(
        help: "The stamps folder (default: RECO_DEMO_PHOTOS, else .cache/tuxpaint/stamps from ops/demo/fetch-photos).")
    var photos: String =
        ProcessInfo.processInfo.environment["RECO_DEMO_PHOTOS"]
        ?? ResourceLocator.locate(folder: ".cache/tuxpaint/stamps", marker: "food").path

    @Option(help: "Where the generated catalog and views CSV files go.")
    var workDir: String = ".data/demo"

    @Option(help: "Simulated sessions.") var sessions: Int = 20000
    @Option(help: "Seed of the simulated sessions.") var seed: UInt64 = 1
    @Option(help: "Address to serve on.") var host: String = "127.0.0.1"
    @Option(help: "Port to serve on.") var port: Int =
        Int(ProcessInfo.processInfo.environment["RECO_PORT"] ?? "") ?? 8080
    @Flag(help: "Prepare everything but do not start the service.") var noServe = false

    func run() async throws {
        let db = database.makeDatabase()
        let work = URL(fileURLWithPath: workDir)
        let modelID = try reportingErrors("demo") {
            step("migrations")
            let migrator = try Migrator.embedded()
            let applied = try db.withConnection { try migrator.apply(to: $0) }
            Console.out("  \(applied.count) applied")

            step("catalog: photos from \(photos)")
            let photos = try DemoCatalog.photos(in: URL(fileURLWithPath: self.photos))
            let csv = work.appendingPathComponent("catalog.csv")
            try DemoCatalog.writeCSV(photos, to: csv)
            let imported = try CatalogImporter(database: db).run(path: csv.path, deactivateMissing: false)
            Console.out(
                "  \(photos.count) photos in \(Set(photos.map(\.category)).count) categories: \(imported.inserted) "
                    + "new, \(imported.updated) changed"
            )

            step("embeddings")
            let embedder = try model.makeEmbedder()
            var options = EmbeddingJobOptions()
            options.workers = model.workers
            let progress = ProgressReporter(label: "  embedding")
            let embedded = try EmbeddingJob(database: db, embedder: embedder, options: options).run(
                progress: progress.update)
            progress.finish()
            Console.out(
                String(
                    format: "  %d embedded in %.1f s, %d failed", embedded.embedded, embedded.seconds, embedded.failed))

            step("image neighbours")
            var neighbours = NeighbourUpdate(database: db, model: embedder.modelIdentifier)
            neighbours.workers = model.workers
            let n = try neighbours.run()
            Console.out(String(format: "  %d lists rewritten in %.1f s", n.rewritten, n.seconds))

            step("simulated sessions (seed \(seed))")
            var simulation = DemoSessions(database: db, model: embedder.modelIdentifier)
            simulation.simulator.sessions = sessions
            simulation.simulator.seed = seed
            let events = try simulation.run(csv: work.appendingPathComponent("views-seed\(seed).csv"))
            Console.out(events > 0 ? "  \(events) view events stored" : "  already stored")

            step("co-views")
            let coviews = try CoViewUpdate(database: db).run()
            Console.out(
                String(
                    format: "  %d new events, %d lists rewritten in %.1f s", coviews.newEvents, coviews.relisted,
                    coviews.seconds))
            return embedder.modelIdentifier
        }
        guard !noServe else { return }
        let base = "http://\(host):\(port)"
        Console.out(
            """

            reco demo is ready (model \(modelID)). Open:
              \(base)/                           items, search by photo
              \(base)/items/food-fruit-apple_red   an item and its similar items
              \(base)/items/food-fruit-apple_red/similar?explain=true   the same as JSON
              \(base)/metrics   \(base)/openapi.yaml
            Ctrl-C stops the service.

            """)
        let serve = try ServeCommand.parse(
            ["--host", host, "--port", "\(port)", "--model", model.model, "--model-id", modelID]
                + (database.databaseURL.map { ["--database-url", $0] } ?? []))
        try await serve.run()
    }

    private func step(_ name: String) { Console.out("==> \(name)") }
}
