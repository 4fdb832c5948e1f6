import Compute
import Foundation
import Synchronization

/// Where one image comes from.
public enum EmbeddingSource: Sendable {
    case file(String)
    case data(Data)
    /// Already decoded and resized network input (inputSize² × 3 RGB bytes, row-major H, W, C).
    case prepared([UInt8])
    /// A file holding such raw network input; read when its worker gets to it.
    case preparedFile(String)
}

extension Embedder {
    /// Embeds many images on `workers` threads (default: one per core). Each worker reads,
    /// decodes, resizes and embeds its next image, so decoding on one core overlaps inference on
    /// the other, with no hand-off between threads. A failing image reports its error and the rest
    /// go on. `onResult` is called from worker threads, in no particular order; returns when every
    /// source has been reported.
    public func embedAll(
        _ sources: [EmbeddingSource],
        workers: Int = ProcessInfo.processInfo.activeProcessorCount,
        logits: Bool = false,
        onResult: @Sendable (Int, Result<Embedding, any Error>) -> Void
    ) {
        Parallel.forEach(tasks: sources.count, workers: workers) { i in
            onResult(i, Result { try embed(prepared: [prepare(sources[i])], logits: logits)[0] })
        }
    }

    func prepare(_ source: EmbeddingSource) throws -> [UInt8] {
        switch source {
        case .file(let path): return try prepare(ImageDecoder.readFile(path))
        case .data(let data): return try prepare(data)
        case .preparedFile(let path):
            return try prepare(.prepared([UInt8](ImageDecoder.readFile(path))))
        case .prepared(let bytes):
            guard bytes.count == network.inputSize * network.inputSize * 3 else {
                throw ModelError.invalidInput(
                    "raw input must be \(network.inputSize)×\(network.inputSize)×3 = "
                        + "\(network.inputSize * network.inputSize * 3) bytes, got \(bytes.count)"
                )
            }
            return bytes
        }
    }
}
