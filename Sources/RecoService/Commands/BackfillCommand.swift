import ArgumentParser
import Catalog
import Embedding
import Foundation

/// Options shared by the embedding jobs.
struct JobOptions: ParsableArguments {
    @Option(help: "Items claimed per transaction.") var batch: Int = 32
    @Option(help: "Seconds before a failed image is retried (doubles per attempt, at most a week).") var retryAfter:
        Double = 3600
    @Flag(help: "Print the summary as JSON.") var json = false
    @Flag(
        inversion: .prefixedNo,
        help: "Bring the image neighbours up to date afterwards (a full rebuild after a model change).")
    var neighbours = true

    func jobOptions(selection: WorkSelection, workers: Int) -> EmbeddingJobOptions {
        var o = EmbeddingJobOptions()
        o.selection = selection
        o.batchSize = batch
        o.workers = workers
        o.retryAfter = retryAfter
        return o
    }

    /// After a job that wrote vectors: the incremental neighbour update, reported on its own line.
    func updateNeighbours(_ database: Database, model: String, workers: Int, embedded: Int) throws {
        guard neighbours, embedded > 0 else { return }
        var update = NeighbourUpdate(database: database, model: model)
        update.workers = workers
        let s = try reportingErrors("neighbours update") { try update.run() }
        Console.out(
            json
                ? s.json
                : String(
                    format: "neighbours: %d changed, %d lists rewritten of %d%@ in %.1f s",
                    s.changed, s.rewritten, s.items, s.full ? " (full rebuild)" : "", s.seconds))
    }
}

struct BackfillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract:
            "Embed catalog images and store their vectors (default: the queue of new/changed images and items "
            + "without a vector).",
        discussion: "Safe to run as several processes on several machines at once, and to kill and rerun."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var job: JobOptions
    @Flag(help: "Re-embed every active item.") var all = false
    @Flag(help: "Only items with no vector for the model.") var missing = false
    @Option(help: "Only these item ids (comma-separated).") var ids: String?
    @Option(help: "Only items of this category.") var category: String?
    @Option(help: "Only items created or updated since this ISO-8601 time.") var since: String?

    func selection() throws -> WorkSelection {
        let chosen = [all, missing, ids != nil, category != nil, since != nil].filter { $0 }.count
        guard chosen <= 1 else {
            throw ValidationError("choose at most one of --all, --missing, --ids, --category, --since")
        }
        if all { return .all }
        if missing { return .missing }
        if let ids {
            return .ids(
                ids.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        if let category { return .category(category) }
        if let since {
            guard let date = ISO8601.parse(since) else {
                throw ValidationError("--since must be an ISO-8601 time, e.g. 2026-11-01T00:00:00Z")
            }
            return .since(date)
        }
        return .pending
    }

    func run() throws {
        let selection = try selection()
        let progress = ProgressReporter(label: "backfill")
        let db = database.makeDatabase()
        let (summary, modelID) = try reportingErrors("backfill") {
            let embeddingJob = EmbeddingJob(
                database: db, embedder: try model.makeEmbedder(),
                options: job.jobOptions(selection: selection, workers: model.workers))
            defer { progress.finish() }
            return (try embeddingJob.run(progress: progress.update), embeddingJob.embedder.modelIdentifier)
        }
        Console.out(
            job.json
                ? summary.json
                : String(
                    format: "embedded %d of %d images in %.1f s (%.1f images/s), %d failed",
                    summary.embedded, summary.total, summary.seconds,
                    summary.seconds > 0 ? Double(summary.embedded + summary.failed) / summary.seconds : 0,
                    summary.failed))
        try job.updateNeighbours(db, model: modelID, workers: model.workers, embedded: summary.embedded)
    }
}

struct NightlyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nightly",
        abstract: "The scheduled job: find new and changed images, re-embed only those (or all after a model change)."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var job: JobOptions

    func run() throws {
        let progress = ProgressReporter(label: "nightly")
        let db = database.makeDatabase()
        let (summary, modelID) = try reportingErrors("nightly") {
            let embeddingJob = EmbeddingJob(
                database: db, embedder: try model.makeEmbedder(),
                options: job.jobOptions(selection: .pending, workers: model.workers))
            defer { progress.finish() }
            return (
                try NightlyJob(job: embeddingJob).run(progress: progress.update), embeddingJob.embedder.modelIdentifier
            )
        }
        Console.out(
            job.json
                ? summary.json
                : String(
                    format: "scanned %d images: %d changed, %d touched; embedded %d, %d failed (%.1f s)",
                    summary.scanned, summary.changed, summary.touched, summary.embedding.embedded,
                    summary.embedding.failed, summary.embedding.seconds))
        try job.updateNeighbours(db, model: modelID, workers: model.workers, embedded: summary.embedding.embedded)
    }
}
