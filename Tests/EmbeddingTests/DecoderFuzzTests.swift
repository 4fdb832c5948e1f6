import Foundation
import Testing

@testable import Embedding

/// Mutated JPEG and PNG files, made from the fixtures with a seeded generator: every one decodes
/// or fails with an `ImageError`, and none crashes the process (a trap would end the test run).
@Suite struct DecoderFuzzTests {
    static let sources = [
        "chelsea_cat.jpg", "grey.jpg", "cmyk.jpg", "orientation6.jpg", "palette.png", "rgba.png",
        "rgb16.png", "grey.png",
    ]

    /// Bit flips, overwritten runs, truncation and duplicated chunks, a few per file.
    static func mutate(_ bytes: [UInt8], seed: UInt64) -> [UInt8] {
        var rng = Generator(state: seed)
        var out = bytes
        for _ in 0..<(1 + Int(rng.next() % 4)) {
            guard !out.isEmpty else { break }
            let at = Int(rng.next() % UInt64(out.count))
            switch rng.next() % 4 {
            case 0: out[at] ^= UInt8(1 << (rng.next() % 8))
            case 1:
                for i in at..<min(out.count, at + Int(rng.next() % 64)) {
                    out[i] = UInt8(truncatingIfNeeded: rng.next())
                }
            case 2: out.removeSubrange(at...)
            default:
                let end = min(out.count, at + Int(rng.next() % 512))
                out.insert(contentsOf: out[at..<end], at: at)
            }
        }
        return out
    }

    @Test(arguments: sources)
    func mutatedFilesDecodeOrFailCleanly(_ name: String) throws {
        let original = [UInt8](try Fixtures.data(name))
        var decoded = 0
        var refused = 0
        for seed in 0..<40 as Range<UInt64> {
            let bytes = Self.mutate(original, seed: seed &* 7919 &+ UInt64(name.utf8.count))
            do {
                let image = try ImageDecoder.decode(Data(bytes))
                #expect(image.width > 0 && image.height > 0 && image.pixels.count == image.width * image.height * 3)
                decoded += 1
            } catch {
                // Typed throws: the decoder can only fail with an ImageError, which has a reason.
                #expect(!error.description.isEmpty)
                refused += 1
            }
        }
        #expect(decoded + refused == 40)
    }

    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
    }
}
