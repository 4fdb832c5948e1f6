import ArgumentParser
import Compute

@main
struct Reco: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reco",
        abstract: "Product recommendations from image embeddings and co-views.",
        subcommands: [
            EmbedCommand.self, ClassifyCommand.self, ModelCommand.self, CalibrateCommand.self,
            MigrateCommand.self, ImportCommand.self, BackfillCommand.self, NightlyCommand.self, StatusCommand.self,
            FailuresCommand.self,
            NeighboursCommand.self, CoViewsCommand.self, EventsCommand.self, SearchCommand.self, ServeCommand.self,
            DemoCommand.self, SimulateCommand.self, EvalCommand.self,
        ]
    )

    static func main() async {
        // Before any work: OpenBLAS's load-time thread pool would otherwise spin beside it.
        BLAS.runSingleThreaded()
        await main(nil)
    }
}
