import ArgumentParser
import Catalog
import Embedding
import Foundation

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Catalog counts for the current model, and the last job runs.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var model: ModelOptions
    @Flag(help: "Print as JSON.") var json = false

    func run() throws {
        let s = try reportingErrors("status") {
            try CatalogStatus.read(database: database.makeDatabase(), model: try model.makeEmbedder().modelIdentifier)
        }
        if json {
            let runs = s.lastRuns.map {
                JSON.object([
                    ("id", "\($0.id)"), ("kind", JSON.string($0.kind)), ("status", JSON.string($0.status)),
                    ("started_at", JSON.string(ISO8601.format($0.startedAt))),
                    ("finished_at", $0.finishedAt.map { JSON.string(ISO8601.format($0)) } ?? "null"),
                    ("counts", $0.counts),
                ])
            }
            Console.out(
                JSON.object([
                    ("model", JSON.string(s.model)), ("items", "\(s.items)"), ("active", "\(s.active)"),
                    ("with_image", "\(s.withImage)"), ("embedded", "\(s.embedded)"), ("missing", "\(s.missing)"),
                    ("failing", "\(s.failing)"), ("queued", "\(s.queued)"), ("view_events", "\(s.viewEvents)"),
                    ("last_runs", "[" + runs.joined(separator: ",") + "]"),
                ]))
            return
        }
        Console.out("model        \(s.model)")
        Console.out("items        \(s.items) (\(s.active) active, \(s.withImage) with an image)")
        Console.out(
            "embedded     \(s.embedded) with the current model; \(s.missing) missing, \(s.queued) queued, "
                + "\(s.failing) failing"
        )
        Console.out("view events  \(s.viewEvents)")
        Console.out("last runs")
        for r in s.lastRuns {
            Console.out(
                "  #\(r.id) \(r.kind) \(r.status) \(ISO8601.format(r.startedAt)) "
                    + "\(r.counts)\(r.message.map { " — \($0)" } ?? "")"
            )
        }
    }
}

struct FailuresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failures", abstract: "Images that could not be embedded, with reasons.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Only this model identifier.") var model: String?
    @Option(help: "At most this many rows.") var limit: Int = 100
    @Flag(help: "One JSON line per failure.") var json = false

    func run() throws {
        let failures = try reportingErrors("failures") {
            try EmbeddingFailure.list(database: database.makeDatabase(), model: model, limit: limit)
        }
        for f in failures {
            if json {
                Console.out(
                    JSON.object([
                        ("item_id", JSON.string(f.itemID)), ("model", JSON.string(f.model)),
                        ("error", JSON.string(f.errorClass)),
                        ("message", JSON.string(f.message)), ("attempts", "\(f.attempts)"),
                        ("last_attempt_at", JSON.string(ISO8601.format(f.lastAttemptAt))),
                        ("next_attempt_at", JSON.string(ISO8601.format(f.nextAttemptAt))),
                    ]))
            } else {
                Console.out(
                    "\(f.itemID)  \(f.errorClass)  attempts \(f.attempts)  next \(ISO8601.format(f.nextAttemptAt))  "
                        + "\(f.message)"
                )
            }
        }
        if !json { Console.out("\(failures.count) failing") }
    }
}
