import Foundation

/// One image's vector.
public struct Embedding: Sendable {
    /// Identifies network, weights and preprocessing, e.g. `efficientnet-lite0/57934424/squash224`.
    /// Vectors with different identifiers must never be compared.
    public let model: String
    /// The pooled feature, L2-normalised: cosine similarity is a dot product.
    public let vector: [Float]
    /// The L2 norm of the raw pooled feature (`vector · norm` gives it back).
    public let norm: Float
    /// The 1000 ImageNet logits, when asked for.
    public let logits: [Float]?

    init(model: String, feature: [Float], logits: [Float]?) {
        var sum: Double = 0
        for x in feature { sum += Double(x) * Double(x) }
        let norm = Float(sum.squareRoot())
        self.model = model
        self.norm = norm
        self.vector = norm > 0 ? feature.map { $0 / norm } : feature
        self.logits = logits
    }

    /// The raw pooled feature (≥ 0 everywhere).
    public var feature: [Float] { vector.map { $0 * norm } }
}

/// An error with a stable machine-readable code.
public protocol CodedError: Error, CustomStringConvertible {
    var code: String { get }
}

extension ImageError: CodedError {}

extension ModelError: CodedError {
    public var code: String {
        switch self {
        case .missingFile: "model_missing"
        case .invalidFile, .invalidSpec, .invalidCalibration: "model_invalid"
        case .invalidInput: "invalid_input"
        }
    }
}

/// Softmax probabilities of the top `k` classes, best first.
public struct ClassScore: Sendable, Equatable {
    public let index: Int
    public let name: String
    public let probability: Double
}

public func topClasses(logits: [Float], k: Int) -> [ClassScore] {
    let maxLogit = Double(logits.max() ?? 0)
    let exps = logits.map { Foundation.exp(Double($0) - maxLogit) }
    let total = exps.reduce(0, +)
    return exps.indices.sorted { exps[$0] > exps[$1] }.prefix(max(0, k)).map { i in
        ClassScore(
            index: i, name: i < ImageNetClasses.names.count ? ImageNetClasses.names[i] : "class \(i)",
            probability: exps[i] / total)
    }
}
