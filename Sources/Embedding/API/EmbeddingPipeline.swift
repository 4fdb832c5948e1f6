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
    /// Embeds many images on `workers` threads (default: one per core). Each worker reads, decodes
    /// and resizes its next `batchSize` images, then runs them through the network as one batch,
    /// so decoding on one core overlaps inference on the other. A failing image reports its error
    /// and the rest go on. `onResult` is called from worker threads, in no particular order;
    /// returns when every source has been reported.
    public func embedAll(
        _ sources: [EmbeddingSource],
        workers: Int = ProcessInfo.processInfo.activeProcessorCount,
        batchSize: Int = 1,
        logits: Bool = false,
        onResult: @Sendable (Int, Result<Embedding, any Error>) -> Void
    ) {
        let batchSize = max(1, batchSize)
        let next = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: max(1, min(workers, sources.count))) { _ in
            while true {
                let start = next.withLock { value in
                    defer { value += batchSize }
                    return value
                }
                if start >= sources.count { return }
                var indices: [Int] = [], inputs: [[UInt8]] = []
                for i in start..<min(start + batchSize, sources.count) {
                    do {
                        inputs.append(try prepare(sources[i]))
                        indices.append(i)
                    } catch {
                        onResult(i, .failure(error))
                    }
                }
                guard !inputs.isEmpty else { continue }
                do {
                    for (i, embedding) in zip(indices, try embed(prepared: inputs, logits: logits)) {
                        onResult(i, .success(embedding))
                    }
                } catch {
                    for i in indices { onResult(i, .failure(error)) }
                }
            }
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
                throw ModelError.invalidInput("raw input must be \(network.inputSize)×\(network.inputSize)×3 = \(network.inputSize * network.inputSize * 3) bytes, got \(bytes.count)")
            }
            return bytes
        }
    }
}
