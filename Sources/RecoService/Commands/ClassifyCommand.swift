import ArgumentParser
import Catalog
import Embedding
import Foundation
import Synchronization

struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Print the most likely ImageNet classes of each image."
    )

    @OptionGroup var options: ModelOptions

    @Option(help: "How many classes to show per image.")
    var top: Int = 5

    @Flag(help: "One JSON line per image instead of text.")
    var json = false

    @Argument(help: "Image files (JPEG or PNG).")
    var files: [String]

    func run() throws {
        let embedder = try options.makeEmbedder()
        let files = self.files
        let top = self.top
        let json = self.json
        let failures = Mutex(0)
        let printer = OrderedResults<Result<Embedding, any Error>> { index, result in
            switch result {
            case .success(let e):
                let classes = topClasses(logits: e.logits ?? [], k: top)
                if json {
                    let list = classes.map {
                        JSON.object([
                            ("index", "\($0.index)"), ("name", JSON.string($0.name)),
                            ("probability", JSON.number($0.probability)),
                        ])
                    }
                    Console.out(
                        JSON.object([
                            ("file", JSON.string(files[index])), ("classes", "[" + list.joined(separator: ",") + "]"),
                        ]))
                } else {
                    Console.out(files[index])
                    for c in classes {
                        Console.out("  \(String(format: "%4d  %6.2f%%", c.index, c.probability * 100))  \(c.name)")
                    }
                }
            case .failure(let error):
                failures.withLock { $0 += 1 }
                if json {
                    Console.out(JSON.object([("file", JSON.string(files[index])), ("error", JSON.error(error))]))
                } else {
                    Console.out("\(files[index])\n  error: \(error)")
                }
            }
        }
        embedder.embedAll(files.map { .file($0) }, workers: options.workers, logits: true) { printer.add($0, $1) }
        if failures.withLock({ $0 }) > 0 { throw ExitCode(1) }
    }
}
