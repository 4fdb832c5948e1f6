import ArgumentParser
import Catalog
import Foundation
import Ranking

extension CoViewMethod: ExpressibleByArgument {}

struct CoViewsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coviews",
        abstract: "Co-view statistics from view events.",
        subcommands: [Rebuild.self]
    )

    struct Rebuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recount co-views from every view event and replace the stored co-view neighbours."
        )

        @OptionGroup var database: DatabaseOptions
        @Option(help: "cosine, jaccard, lift or expected.") var method: CoViewMethod = .cosine
        @Option(help: "Sessions with more distinct items are bots, ignored.") var maxSessionItems: Int = 200
        @Option(help: "Half-life of a session's weight, in days.") var halfLifeDays: Double = 30
        @Option(help: "Minimum sessions a pair needs.") var minSupport: Int = 2
        @Option(help: "Neighbours kept per item.") var top: Int = 100
        @Flag(help: "Print the summary as JSON.") var json = false

        func run() throws {
            var build = CoViewBuild(database: database.makeDatabase())
            build.config.method = method
            build.config.maxSessionItems = maxSessionItems
            build.config.halfLife = halfLifeDays * 86_400
            build.config.minSupport = minSupport
            build.config.topM = top
            let summary = try reportingErrors("coviews rebuild") { try build.run() }
            Console.out(json ? summary.json : String(format: "%d events, %.1f weighted sessions (%d bots ignored), %d items, %d pairs kept, in %.1f s",
                                                     summary.events, summary.sessions, summary.botSessions, summary.items, summary.pairs, summary.seconds))
        }
    }
}
