import ArgumentParser
import Catalog
import Foundation

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Manage stored view events.",
        subcommands: [Prune.self]
    )

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop view events older than a retention, a whole month partition at a time."
        )
        @OptionGroup var database: DatabaseOptions
        @Option(help: "Retention, e.g. 90d, 12w or 36h: months that ended before now minus this are dropped.")
        var olderThan: String
        @Flag(help: "Print the summary as JSON.") var json = false

        func validate() throws {
            guard ViewEventRetention.parseAge(olderThan) != nil else {
                throw ValidationError(
                    "--older-than must be a number followed by h, d or w (e.g. 90d), not '\(olderThan)'")
            }
        }

        func run() throws {
            let age = ViewEventRetention.parseAge(olderThan) ?? 0
            let s = try reportingErrors("events prune") {
                try ViewEventRetention(database: database.makeDatabase()).prune(olderThan: age)
            }
            Console.out(
                json
                    ? s.json
                    : "dropped \(s.partitions) month partitions and \(s.events) events older than "
                        + ISO8601.format(s.cutoff))
        }
    }
}
