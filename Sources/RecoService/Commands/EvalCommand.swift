import ArgumentParser
import Catalog
import Evaluation
import Foundation
import Ranking

/// `reco eval`: how well image similarity, co-views and their blend predict the next view.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract:
            "Offline evaluation: HitRate@k, MRR@k and coverage of image-only, co-view-only and blended similar items "
            + "on held-out views.",
        discussion: "The last --holdout-days of view events are held out; co-views are counted from the rest."
    )

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Model identifier (default: the newest neighbour build's).") var modelID: String?
    @Option(help: "Days of events held out at the end of the log.") var holdoutDays: Double = 7
    @Option(help: "Length of the recommended list (k).") var k: Int = 10
    @Option(help: "Image weights to try, comma-separated.") var weights: String =
        "0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1"
    @Option(help: "Pair shrink constants k in s / (s + k) to try, comma-separated (0: none).") var pairK: String =
        "0,10"
    @Option(help: "Write every row as CSV here.") var csv: String?
    @Option(help: "Write an HTML report with a chart here.") var html: String?

    func run() throws {
        var evaluation = BlendEvaluation(database: database.makeDatabase(), model: modelID)
        evaluation.holdoutDays = holdoutDays
        evaluation.k = k
        evaluation.imageWeights = try Self.numbers(weights, option: "--weights", "from 0 to 1") { (0...1).contains($0) }
        evaluation.pairKs = try Self.numbers(pairK, option: "--pair-k", "≥ 0") { $0 >= 0 }
        let report = try reportingErrors("eval") { try evaluation.run() }
        let table = EvalReport(report: report, k: k)
        Console.out(table.text)
        if let csv {
            try reportingErrors("eval") { try table.csv.write(toFile: csv, atomically: true, encoding: .utf8) }
        }
        if let html {
            try reportingErrors("eval") { try table.html.write(toFile: html, atomically: true, encoding: .utf8) }
        }
    }

    /// A comma-separated list of numbers that each satisfy `valid`.
    static func numbers(_ text: String, option: String, _ rule: String, valid: (Double) -> Bool) throws -> [Double] {
        try text.split(separator: ",").map { item in
            guard let x = Double(item.trimmingCharacters(in: .whitespaces)), valid(x) else {
                throw ValidationError("\(option) must be numbers \(rule), not '\(item)'")
            }
            return x
        }
    }
}
