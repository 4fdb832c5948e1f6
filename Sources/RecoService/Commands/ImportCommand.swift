import ArgumentParser
import Catalog
import Foundation

extension Catalog.InputFormat: ExpressibleByArgument {}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import the catalog or view events from CSV (with a header row) or JSON Lines.",
        subcommands: [Items.self, Views.self]
    )

    struct Items: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "catalog",
            abstract:
                "Upsert items by id: columns id (required), title, category, image (a path relative to the file, or "
                + "an http(s) URL), in_stock; any other column goes into attributes."
        )
        @OptionGroup var database: DatabaseOptions
        @Option(help: "csv or jsonl (default: from the file name).") var format: Catalog.InputFormat?
        @Flag(help: "This is a full catalog: deactivate items that are not in it.") var deactivateMissing = false
        @Option(help: "Refuse local image paths outside this folder (default: RECO_IMAGE_ROOT, else any).")
        var imageRoot: String? = ImageRoot.configured?.path
        @Flag(help: "Print the summary as JSON.") var json = false
        @Argument(help: "The catalog file.") var file: String

        func run() throws {
            let summary = try reportingErrors("import catalog") {
                var importer = CatalogImporter(database: database.makeDatabase())
                importer.imageRoot = imageRoot.map(ImageRoot.init)
                return try importer.run(
                    path: file, format: format, deactivateMissing: deactivateMissing,
                    onBadRow: { Console.err("\(file): \($0)") }, onWarning: { Console.err("\(file): warning: \($0)") })
            }
            Console.out(
                json
                    ? summary.json
                    : "read \(summary.read) rows: \(summary.inserted) new, \(summary.updated) updated, "
                        + "\(summary.unchanged) unchanged, \(summary.bad.count) bad, \(summary.warnings.count) "
                        + "warnings; "
                        + "\(summary.deactivated) deactivated")
            if !summary.bad.isEmpty { throw ExitCode(2) }
        }
    }

    struct Views: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "views",
            abstract: "Append view events: columns session_id, item_id, viewed_at (ISO-8601 with a time zone)."
        )
        @OptionGroup var database: DatabaseOptions
        @Option(help: "csv or jsonl (default: from the file name).") var format: Catalog.InputFormat?
        @Flag(help: "Print the summary as JSON.") var json = false
        @Argument(help: "The events file.") var file: String

        func run() throws {
            let summary = try reportingErrors("import views") {
                try ViewImporter(database: database.makeDatabase()).run(path: file, format: format) {
                    Console.err("\(file): \($0)")
                }
            }
            Console.out(
                json
                    ? summary.json
                    : "read \(summary.read) rows: \(summary.inserted) events appended, \(summary.bad.count) bad")
            if !summary.bad.isEmpty { throw ExitCode(2) }
        }
    }
}
