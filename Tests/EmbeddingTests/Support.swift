import Crypto
import Foundation
import Testing

@testable import Embedding

/// Test fixtures (copied from the project's reference material; see Fixtures/manifest.json) and the
/// model, loaded once. The test script runs ops/setup first, so a missing model is a failure.
enum Fixtures {
    static let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }

    static func floats(_ name: String) throws -> [Float] {
        let bytes = try data(name)
        return bytes.withUnsafeBytes { raw in
            (0..<(bytes.count / 4)).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
            }
        }
    }

    static let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let modelStore = ModelStore(directory: projectRoot.appendingPathComponent("models"))
    static let network: EfficientNetLite = try! modelStore.load()

    /// The manifest's synthetic input: u8[y][x][c] = c==0 ? x*255/223 : c==1 ? y*255/223 : (x+y)*255/446.
    static let syntheticGradient: [UInt8] = {
        var out = [UInt8](repeating: 0, count: 224 * 224 * 3)
        for y in 0..<224 {
            for x in 0..<224 {
                let i = (y * 224 + x) * 3
                out[i] = UInt8(x * 255 / 223)
                out[i + 1] = UInt8(y * 255 / 223)
                out[i + 2] = UInt8((x + y) * 255 / 446)
            }
        }
        return out
    }()
}

func cosine(_ a: [Float], _ b: [Float]) -> Double {
    var dot = 0.0
    var na = 0.0
    var nb = 0.0
    for i in a.indices {
        dot += Double(a[i]) * Double(b[i])
        na += Double(a[i]) * Double(a[i])
        nb += Double(b[i]) * Double(b[i])
    }
    return dot / (na.squareRoot() * nb.squareRoot())
}

func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

func sha256Hex(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}
