import ArgumentParser
import Catalog
import Demo
import Foundation

/// `reco simulate`: simulated browsing sessions over the catalog (for demos, tests and
/// benchmarks; not real shoppers), written as a views CSV and imported like a real log.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract:
            "Generate simulated browsing sessions (seeded) over the "
            + "catalog's items and image neighbours, and import them.",
        discussion: "A seed whose sessions are already stored is not simulated again."
    )

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Model identifier whose image neighbours guide the simulated shoppers (default: the newest build's).")
    var modelID: String?
    @Option(help: "Sessions to simulate.") var sessions: Int = 20000
    @Option(help: "Seed (session ids are sim-SEED-N).") var seed: UInt64 = 1
    @Option(help: "Where to write the views CSV.") var out: String = ".data/views-simulated.csv"

    func run() throws {
        let db = database.makeDatabase()
        try reportingErrors("simulate") {
            guard let model = try modelID ?? ServingCatalogLoader(database: db).version().model else {
                throw DemoError.noImageNeighbours
            }
            var simulation = DemoSessions(database: db, model: model)
            simulation.simulator.sessions = sessions
            simulation.simulator.seed = seed
            let stored = try simulation.run(csv: URL(fileURLWithPath: out))
            Console.out(
                stored > 0
                    ? "\(stored) view events from \(sessions) simulated sessions stored (\(out))"
                    : "sessions of seed \(seed) are already stored")
        }
    }
}
