import Foundation
import Synchronization

/// Image bytes in, vectors out: decode → resize → EfficientNet-Lite → L2-normalised feature.
/// Thread-safe; keeps a pool of workspaces so repeated calls reuse their scratch memory.
public final class Embedder: Sendable {
    public let network: EfficientNetLite
    public let preprocessor: Preprocessor
    public let decodeOptions: DecodeOptions
    public let modelIdentifier: String
    private let workspaces = Mutex<[EfficientNetLite.Workspace]>([])

    /// - dctScaling: let JPEG decoding shrink large images in the DCT domain (never below what the
    ///   resize needs); measured effect in docs/BENCHMARKS.md.
    public init(
        network: EfficientNetLite, resize: ResizeMode = .squash, maxPixels: Int = DecodeOptions().maxPixels,
        dctScaling: Bool = true
    ) {
        self.network = network
        self.preprocessor = Preprocessor(size: network.inputSize, mode: resize)
        self.decodeOptions = DecodeOptions(
            maxPixels: maxPixels, minimumSize: dctScaling ? preprocessor.minimumDecodeSize : nil)
        // The precision is part of the identity: int8 and fp32 vectors are never compared.
        let precision = network.precision == .fp32 ? "" : "/\(network.precision.rawValue)"
        self.modelIdentifier =
            "\(network.spec.name)/\(network.spec.weightsId)/\(resize.rawValue)\(network.inputSize)\(precision)"
    }

    /// Decodes and resizes one image into network input (inputSize² × 3 bytes).
    public func prepare(_ data: Data, threads: Int = 1) throws(ImageError) -> [UInt8] {
        preprocessor(try ImageDecoder.decode(data, options: decodeOptions), threads: threads)
    }

    public func embed(_ data: Data, logits: Bool = false) throws -> Embedding {
        try embed(prepared: [prepare(data)], logits: logits)[0]
    }

    /// One image with its network pass split across `threads` (`EfficientNetLite.forward(_:workspaces:)`):
    /// for interactive callers such as search by image, where one image's latency is what counts.
    public func embed(_ data: Data, threads: Int) throws -> Embedding {
        let input = try prepare(data, threads: threads)
        let workspaces = (0..<max(1, threads)).map { _ in checkOut() }
        defer { workspaces.forEach(checkIn) }
        return Embedding(
            model: modelIdentifier, feature: try network.forward(input, workspaces: workspaces), logits: nil)
    }

    /// Runs the network on already prepared inputs.
    public func embed(prepared inputs: [[UInt8]], logits: Bool = false) throws -> [Embedding] {
        if inputs.isEmpty { return [] }
        let workspace = checkOut()
        defer { checkIn(workspace) }
        let (features, allLogits) = try network.forward(inputs, workspace: workspace, logits: logits)
        return features.indices.map { Embedding(model: modelIdentifier, feature: features[$0], logits: allLogits?[$0]) }
    }

    private func checkOut() -> EfficientNetLite.Workspace {
        workspaces.withLock { $0.popLast() } ?? network.makeWorkspace()
    }

    private func checkIn(_ workspace: EfficientNetLite.Workspace) {
        workspaces.withLock { pool in
            if pool.count < 2 * ProcessInfo.processInfo.activeProcessorCount { pool.append(workspace) }
        }
    }
}
