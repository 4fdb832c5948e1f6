import ArgumentParser
import Catalog
import Foundation
import Ranking

struct NeighboursCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neighbours",
        abstract: "Exact image neighbours.",
        subcommands: [Rebuild.self, Update.self, Compute.self]
    )

    struct Rebuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Recompute the top-K image neighbours of every active item for the model, and replace them in "
                + "the database.",
            discussion: """
                Exact up to \(NeighbourBuild.exactLimit) vectors, approximate above (inverted file, \
                \(NeighbourBuild.defaultProbes) probes); --exact or --approximate forces one. The full rebuild \
                that `neighbours update` falls back to follows the same rule.
                """
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var model: ModelOptions
        @Option(help: "Neighbours per item.") var k: Int = 100
        @Option(help: "Model identifier of the stored vectors (default: the one of --model, which is then loaded).")
        var modelID: String?
        @Flag(help: "Approximate inverted-file search, whatever the size.")
        var approximate = false
        @Flag(help: "The exact pass, whatever the size (N²: hours at a million vectors).")
        var exact = false
        @Option(help: "With --approximate: cells searched per item.") var probes: Int = NeighbourBuild.defaultProbes
        @Flag(help: "Print the summary as JSON.") var json = false

        func validate() throws {
            guard !(exact && approximate) else { throw ValidationError("--exact and --approximate exclude each other") }
        }

        func run() throws {
            let summary = try reportingErrors("neighbours rebuild") {
                var build = NeighbourBuild(
                    database: database.makeDatabase(), model: try modelID ?? model.makeEmbedder().modelIdentifier)
                build.k = k
                build.workers = model.workers
                if approximate { build.approximate = .init(probes: probes) }
                if exact { build.exactUpTo = nil }
                return try build.run()
            }
            Console.out(
                json
                    ? summary.json
                    : String(
                        format: "%d items, top %d neighbours each, in %.1f s", summary.items, summary.k, summary.seconds
                    ))
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Bring the stored image neighbours up to date with vectors written since the last build or update "
                + "(rewrites only lists that change).",
            discussion: """
                Exact (changed rows × all rows) up to \(NeighbourBuild.exactLimit) vectors, approximate above \
                (changed rows × the members of their 8 nearest of √N k-means cells); --exact or --approximate \
                forces one.
                """
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var model: ModelOptions
        @Option(help: "Model identifier of the stored vectors (default: the one of --model, which is then loaded).")
        var modelID: String?
        @Flag(help: "Approximate, whatever the size: changed rows meet only their probed cells.")
        var approximate = false
        @Flag(help: "Exact, whatever the size (changed rows × all rows).") var exact = false
        @Option(help: "With --approximate: cells searched per changed row.") var probes: Int = 8
        @Flag(help: "Print the summary as JSON.") var json = false

        func run() throws {
            guard !(exact && approximate) else { throw ValidationError("--exact and --approximate exclude each other") }
            let s = try reportingErrors("neighbours update") {
                var update = NeighbourUpdate(
                    database: database.makeDatabase(), model: try modelID ?? model.makeEmbedder().modelIdentifier)
                update.workers = model.workers
                if approximate { update.approximate = .init(probes: probes) }
                if exact { update.exactUpTo = nil }
                return try update.run()
            }
            Console.out(
                json
                    ? s.json
                    : String(
                        format: "%d changed, %d lists rewritten of %d%@ in %.1f s",
                        s.changed, s.rewritten, s.items,
                        s.full ? " (full rebuild)" : s.approximate ? " (approximate)" : "", s.seconds))
        }
    }

    struct Compute: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Top-K cosine neighbours of every row of a raw little-endian float32 matrix (rows L2-normalised).",
            discussion: "Writes, per row, K int32 indices then K float32 scores (little-endian) to --output."
        )

        @Option(help: "Floats per row.") var dims: Int = 1280
        @Option(help: "Neighbours per row.") var k: Int = 100
        @Option(help: "Worker threads (default: one per core).") var workers: Int = ProcessInfo.processInfo
            .activeProcessorCount
        @Option(help: "Where to write the result (default: nowhere; use with --stats to time).") var output: String?
        @Flag(help: "Print the time taken to standard error.") var stats = false
        @Flag(help: "Approximate inverted-file search instead of the exact pass.") var approximate = false
        @Option(help: "With --approximate: cells searched per row.") var probes: Int = 12
        @Option(help: "With --approximate: k-means cells (default ≈ 4·√rows).") var lists: Int?
        @Argument(help: "The vectors file.") var file: String

        func run() throws {
            let matrix = try reportingErrors("neighbours compute") { () throws -> VectorMatrix in
                let data = try Data(contentsOf: URL(fileURLWithPath: file))
                guard dims > 0, data.count % (4 * dims) == 0 else {
                    throw ValidationError("\(file) holds \(data.count) bytes: not a whole number of \(dims)-float rows")
                }
                return VectorMatrix(dims: dims, values: try VectorCodec.decode([UInt8](data)))
            }
            let clock = ContinuousClock()
            let start = clock.now
            let lists =
                approximate
                ? ApproximateNeighbours.compute(
                    matrix, k: k, parameters: .init(lists: self.lists, probes: probes), workers: workers)
                : ExactNeighbours.compute(matrix, k: k, workers: workers)
            let seconds = (clock.now - start) / .seconds(1)
            if stats { Console.err("reco-stats rows=\(matrix.count) k=\(k) seconds=\(seconds)") }
            guard let output else { return }
            var bytes = [UInt8]()
            bytes.reserveCapacity(matrix.count * k * 8)
            for list in lists {
                let padded =
                    list
                    + Array(repeating: Neighbour(index: -1, score: 0), count: max(0, k - list.count))
                for n in padded.prefix(k) { withUnsafeBytes(of: n.index.littleEndian) { bytes += $0 } }
                for n in padded.prefix(k) { withUnsafeBytes(of: n.score.bitPattern.littleEndian) { bytes += $0 } }
            }
            try reportingErrors("neighbours compute") { try Data(bytes).write(to: URL(fileURLWithPath: output)) }
        }
    }
}
