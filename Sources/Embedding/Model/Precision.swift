import Foundation

/// The arithmetic of the network's 1×1 convolutions (85 % of its multiply-adds). A separate model
/// identifier per precision (`…/int8`), so vectors of the two are never compared.
public enum Precision: String, Sendable, CaseIterable, Codable {
    /// float32 throughout; features match the float64 reference to 1e-4.
    case fp32
    /// int8 weights (per output channel), uint8 inputs (per tensor: ReLU6 outputs on [0, 6], block
    /// outputs on the ranges in the model's calibration file), int32 sums; inside a block the
    /// ReLU6 outputs are kept as one-byte codes, which the depthwise layers read and write with
    /// float32 arithmetic; the stem stays float32.
    case int8
}

/// The activation ranges an int8 network quantises with, measured by `reco calibrate` on fixed
/// photos: for each inverted-residual block, the smallest and largest value of its output (a
/// linear projection, or a residual sum) — the inputs of the next block's expansion and of the
/// head. Stored as `models/NAME.int8.json`, tied to the weights it was measured with.
public struct Int8Calibration: Codable, Sendable, Equatable {
    /// The checkpoint's sha256 (`ModelSpec.source.sha256`).
    public let weightsSHA256: String
    /// What the ranges were measured on (file names and transforms), for the record.
    public let photos: [String]
    /// [lowest, highest] of each block's output, block by block.
    public let blockOutputs: [[Float]]

    public init(weightsSHA256: String, photos: [String], blockOutputs: [[Float]]) {
        self.weightsSHA256 = weightsSHA256
        self.photos = photos
        self.blockOutputs = blockOutputs
    }

    enum CodingKeys: String, CodingKey {
        case weightsSHA256 = "weights_sha256"
        case photos
        case blockOutputs = "block_outputs"
    }

    public static func read(_ url: URL) throws -> Int8Calibration {
        guard let data = try? Data(contentsOf: url) else {
            throw ModelError.missingFile("\(url.path) (the int8 calibration: run `reco calibrate`)")
        }
        do {
            return try JSONDecoder().decode(Int8Calibration.self, from: data)
        } catch {
            throw ModelError.invalidCalibration("\(url.lastPathComponent): \(error)")
        }
    }

    public func write(_ url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try (encoder.encode(self) + Data("\n".utf8)).write(to: url)
    }

    /// Refuses ranges measured on other weights or another block table: quantising with them would
    /// give wrong vectors without any error.
    func check(against spec: ModelSpec, blocks: Int) throws {
        guard weightsSHA256 == spec.source.sha256 else {
            throw ModelError.invalidCalibration(
                "measured on weights \(weightsSHA256.prefix(12))…, these are \(spec.source.sha256.prefix(12))…")
        }
        guard blockOutputs.count == blocks, blockOutputs.allSatisfy({ $0.count == 2 && $0[0] <= $0[1] }) else {
            throw ModelError.invalidCalibration(
                "\(blockOutputs.count) block ranges for a network of \(blocks) blocks, or a range not [low, high]")
        }
    }
}

/// How float activations become uint8 for an int8 layer: x ≈ scale · (q − zero), q in 0...255.
struct QuantizedInput: Sendable, Equatable {
    let scale: Float
    let zero: Int32

    /// ReLU6 outputs: [0, 6].
    static let relu6 = QuantizedInput(low: 0, high: 6)

    /// The range [low, high], widened to hold 0 (so zero padding and ReLU's zeros are exact).
    init(low: Float, high: Float) {
        let lo = min(low, 0)
        let hi = max(high, lo + 1e-6)
        scale = (hi - lo) / 255
        zero = Int32((-lo / scale).rounded()).clamped(to: 0...255)
    }
}

extension Comparable {
    fileprivate func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}
