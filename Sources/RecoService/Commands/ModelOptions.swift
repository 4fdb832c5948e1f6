import ArgumentParser
import Embedding
import Foundation

extension ResizeMode: ExpressibleByArgument {}

/// Options every command that runs the network shares.
struct ModelOptions: ParsableArguments {
    @Option(help: "Model name (a models/NAME.json spec with converted weights).")
    var model: String = ModelStore.defaultModel

    @Option(help: "Folder holding the model files (default: RECO_MODEL_DIR, else the project's models/).")
    var modelDir: String?

    @Option(help: "The 1×1 convolutions' arithmetic: fp32, or int8 (its own model identifier, …/int8).")
    var precision: Precision = .fp32

    @Option(help: "How the image becomes the square network input: squash, crop or pad.")
    var resize: ResizeMode = .squash

    @Option(help: "Refuse images with more pixels than this (checked from the header).")
    var maxPixels: Int = DecodeOptions().maxPixels

    @Flag(help: "Decode JPEGs at full size instead of shrinking large ones in the DCT domain.")
    var noDctScaling = false

    @Option(help: "Worker threads (default: one per core).")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    func makeEmbedder() throws -> Embedder {
        let store = modelDir.map { ModelStore(directory: URL(fileURLWithPath: $0)) } ?? ModelStore.locate()
        return Embedder(
            network: try store.load(model, precision: precision), resize: resize, maxPixels: maxPixels,
            dctScaling: !noDctScaling)
    }
}

enum InputFormat: String, ExpressibleByArgument, CaseIterable {
    /// Detect JPEG or PNG from the file's bytes.
    case auto
    /// Raw network input: size×size×3 bytes, row-major H, W, C (224 for Lite0); no decode or resize.
    case rgb224

    func source(_ path: String) -> EmbeddingSource {
        switch self {
        case .auto: .file(path)
        case .rgb224: .preparedFile(path)
        }
    }
}

extension Precision: ExpressibleByArgument {}
