import ArgumentParser
import Catalog
import Foundation
import Ranking

/// `reco search FILE`: the catalog items that look most like a photo.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Rank the catalog's active items by image similarity to a photo (JPEG or PNG)."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var model: ModelOptions
    @Option(help: "Results to print.") var limit: Int = 20
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Below this best cosine, nothing found is close (as reco serve --close-match).")
    var closeMatch: Float = CloseMatch().threshold
    @Argument(help: "The photo.") var file: String

    func validate() throws {
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be 1…1000") }
        guard (0...1).contains(closeMatch) else { throw ValidationError("--close-match must be from 0 to 1") }
    }

    func run() throws {
        let (results, modelID) = try reportingErrors("search") {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            let search = ImageSearch(database: database.makeDatabase(), embedder: try model.makeEmbedder())
            return (try search.search(data, limit: limit), search.embedder.modelIdentifier)
        }
        let close = CloseMatch(threshold: closeMatch).isClose(bestScore: results.first?.score)
        if json {
            let rows = results.map {
                JSON.object([("item_id", JSON.string($0.itemID)), ("score", JSON.number($0.score))])
            }
            Console.out(
                JSON.object([
                    ("model", JSON.string(modelID)), ("close_match", "\(close)"),
                    ("results", "[" + rows.joined(separator: ",") + "]"),
                ]))
        } else {
            if !close, let best = results.first {
                Console.out(
                    String(format: "nothing close (best cosine %.4f < %.2f); the least far:", best.score, closeMatch))
            }
            for r in results { Console.out(String(format: "%.4f  %@", r.score, r.itemID)) }
        }
    }
}
