import ArgumentParser
import Catalog
import Foundation
import Ranking

extension CoViewMethod: ExpressibleByArgument {}

struct CoViewsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coviews",
        abstract: "Co-view statistics from view events.",
        subcommands: [Rebuild.self, Update.self]
    )

    struct Rebuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recount co-views from every view event and replace the stored counts and co-view neighbours."
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var options: CoViewOptions

        func run() throws {
            var build = CoViewBuild(database: database.makeDatabase())
            build.config = options.config
            build.settings = options.settings
            let s = try reportingErrors("coviews rebuild") { try build.run() }
            Console.out(
                options.json
                    ? s.json
                    : String(
                        format:
                            "%d events (%d skipped), %.1f weighted sessions (%d bots ignored), %d items, %d pairs, "
                            + "in %.1f s",
                        s.events, s.skippedEvents, s.sessions, s.botSessions, s.items, s.pairs, s.seconds))
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Add the view events written since the last rebuild or update to the stored counts, and recompute "
                + "the lists they change.",
            discussion: "With no rebuild yet, or options different from the stored ones, this runs the full recount."
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var options: CoViewOptions

        func run() throws {
            var update = CoViewUpdate(database: database.makeDatabase())
            update.config = options.config
            update.settings = options.settings
            let s = try reportingErrors("coviews update") { try update.run() }
            Console.out(
                options.json
                    ? s.json
                    : String(
                        format: "%d new events (%d skipped) in %d sessions, %d lists recomputed%@, in %.1f s",
                        s.newEvents, s.skippedEvents, s.sessions, s.relisted, s.full ? " (full recount)" : "", s.seconds
                    ))
        }
    }
}

/// How co-views are counted and scored (stored with the counts; an update must match).
struct CoViewOptions: ParsableArguments {
    @Option(help: "cosine, jaccard, lift or expected.") var method: CoViewMethod = .cosine
    @Option(help: "Sessions with more distinct items are bots, ignored.") var maxSessionItems: Int = 200
    @Option(help: "Half-life of a session's weight, in days.") var halfLifeDays: Double = 30
    @Option(help: "Minimum sessions a pair needs.") var minSupport: Int = 2
    @Option(help: "Neighbours kept per item.") var top: Int = 100
    @Option(help: "PostgreSQL work_mem for the job's statements (memory per sort or hash before it spills).")
    var workMem = CoViewJobSettings().workMem
    @Option(help: "PostgreSQL maintenance_work_mem for the job's index builds.")
    var maintenanceWorkMem = CoViewJobSettings().maintenanceWorkMem
    @Option(help: "Parallel workers per query (max_parallel_workers_per_gather).")
    var parallelWorkers = CoViewJobSettings().parallelWorkers
    @Option(help: "temp_file_limit for the job (applied when the role may set it).")
    var tempFileLimit = CoViewJobSettings().tempFileLimit
    @Flag(help: "Print the summary as JSON (with rows, seconds and temporary bytes per stage).") var json = false

    var settings: CoViewJobSettings {
        var s = CoViewJobSettings()
        s.workMem = workMem
        s.maintenanceWorkMem = maintenanceWorkMem
        s.parallelWorkers = parallelWorkers
        s.tempFileLimit = tempFileLimit
        return s
    }

    var config: CoViewConfig {
        var c = CoViewConfig()
        c.method = method
        c.maxSessionItems = maxSessionItems
        c.halfLife = halfLifeDays * 86_400
        c.minSupport = minSupport
        c.topM = top
        return c
    }
}
