import Foundation

/// Measures the activation ranges of the int8 variant (`Int8Calibration`) with the float32
/// network: each photo in every resize mode and mirrored, so a few photos cover more of the
/// ranges that catalog images reach.
public enum Calibrator {
    public static func measure(network: EfficientNetLite, photos: [(name: String, data: Data)]) throws
        -> Int8Calibration
    {
        precondition(network.precision == .fp32, "calibrate with the float32 network")
        let workspace = network.makeWorkspace()
        var low: [Float] = []
        var high: [Float] = []
        var measured: [String] = []
        for photo in photos {
            let image = try ImageDecoder.decode(photo.data, options: DecodeOptions())
            for mode in ResizeMode.allCases {
                let input = Preprocessor(size: network.inputSize, mode: mode)(image)
                for mirrored in [false, true] {
                    let ranges = try network.blockOutputRanges(
                        mirrored ? mirror(input, size: network.inputSize) : input, workspace: workspace)
                    if low.isEmpty {
                        low = ranges.map(\.low)
                        high = ranges.map(\.high)
                    }
                    for (i, r) in ranges.enumerated() {
                        low[i] = min(low[i], r.low)
                        high[i] = max(high[i], r.high)
                    }
                    measured.append("\(photo.name) \(mode.rawValue)\(mirrored ? " mirrored" : "")")
                }
            }
        }
        return Int8Calibration(
            weightsSHA256: network.spec.source.sha256, photos: measured, blockOutputs: zip(low, high).map { [$0, $1] })
    }

    /// The image flipped left to right (size×size×3 bytes).
    static func mirror(_ input: [UInt8], size: Int) -> [UInt8] {
        var out = input
        for y in 0..<size {
            for x in 0..<size {
                for c in 0..<3 { out[(y * size + x) * 3 + c] = input[(y * size + size - 1 - x) * 3 + c] }
            }
        }
        return out
    }
}
