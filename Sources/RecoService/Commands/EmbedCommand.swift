import ArgumentParser
import Catalog
import Embedding
import Foundation
import Synchronization

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Print one JSON line per image: its model identifier and feature vector.",
        discussion: """
            Each line is {"file":…,"model":…,"dims":1280,"vector":[…]}, or {"file":…,"error":{"code":…,"message":…}} \
            for an image that failed; the others go on, and the exit code is 1 if any failed.
            """
    )

    @OptionGroup var options: ModelOptions

    @Flag(help: "Print the raw pooled feature instead of the L2-normalised vector.")
    var noNormalize = false

    @Option(help: "auto: JPEG or PNG, detected from the bytes; rgb224: raw 224×224×3 network input.")
    var inputFormat: InputFormat = .auto

    @Flag(help: "Print throughput (excluding model load) to standard error when done.")
    var stats = false

    @Argument(help: "Image files.")
    var files: [String]

    func run() throws {
        let embedder = try options.makeEmbedder()
        let files = self.files
        let raw = noNormalize
        let failures = Mutex(0)
        let printer = OrderedResults<Result<Embedding, any Error>> { index, result in
            switch result {
            case .success(let e):
                Console.out(
                    JSON.object([
                        ("file", JSON.string(files[index])), ("model", JSON.string(e.model)),
                        ("dims", "\(e.vector.count)"), ("vector", JSON.array(raw ? e.feature : e.vector)),
                    ]))
            case .failure(let error):
                failures.withLock { $0 += 1 }
                Console.out(JSON.object([("file", JSON.string(files[index])), ("error", JSON.error(error))]))
            }
        }
        let clock = ContinuousClock()
        let start = clock.now
        embedder.embedAll(files.map(inputFormat.source), workers: options.workers) { printer.add($0, $1) }
        if stats {
            let seconds = (clock.now - start) / .seconds(1)
            Console.err(
                "reco-stats images=\(files.count) seconds=\(seconds) images_per_second=\(Double(files.count) / seconds)"
            )
        }
        let failed = failures.withLock { $0 }
        if failed > 0 {
            Console.err("reco embed: \(failed) of \(files.count) images failed")
            throw ExitCode(1)
        }
    }
}
