import ArgumentParser
import Embedding
import Foundation

struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Measure the int8 variant's activation ranges on photos and write NAME.int8.json.",
        discussion: """
            Runs the float32 network on each photo in every resize mode and mirrored, and records the \
            lowest and highest output of every block. The file is tied to the weights it was measured \
            with; an int8 model refuses any other.
            """
    )

    @OptionGroup var options: ModelOptions

    @Option(help: "Where to write the ranges (default: the model folder's NAME.int8.json).")
    var output: String?

    @Argument(help: "Photos (JPEG or PNG).")
    var photos: [String]

    func run() throws {
        let store = options.modelDir.map { ModelStore(directory: URL(fileURLWithPath: $0)) } ?? ModelStore.locate()
        let network = try store.load(options.model, precision: .fp32)
        let loaded = try photos.map {
            (name: URL(fileURLWithPath: $0).lastPathComponent, data: try ImageDecoder.readFile($0))
        }
        let calibration = try Calibrator.measure(network: network, photos: loaded)
        let url = output.map { URL(fileURLWithPath: $0) } ?? store.calibrationURL(options.model)
        try calibration.write(url)
        Console.out("\(calibration.photos.count) inputs, \(calibration.blockOutputs.count) block ranges → \(url.path)")
    }
}
