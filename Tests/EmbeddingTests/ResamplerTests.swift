import Compute
import Testing

@testable import Embedding

/// The resize's SIMD passes against plain loops over the same coefficients, to the bit: the
/// horizontal one's AVX-512 byte permutes over a 128- or 256-byte window, AVX2 gathers where the
/// taps span more, one pixel at a time past the last group of sixteen; the vertical one's lanes and
/// its tail; on every path this CPU runs.
@Suite struct ResamplerTests {
    /// Pillow's rounding of a 22-bit fixed-point sum to a byte.
    static func clip8(_ v: Int32) -> UInt8 { v <= 0 ? 0 : v >= 1 << 30 ? 255 : UInt8(v >> 22) }

    /// Pillow's two passes written plainly: horizontal into 8-bit rows, then vertical.
    static func plainResize(_ image: RGBImage, region: Resampler.Region, outWidth: Int, outHeight: Int) -> [UInt8] {
        let h = Resampler.Coefficients(inSize: region.width, outSize: outWidth)
        let v = Resampler.Coefficients(inSize: region.height, outSize: outHeight)
        let rounding = Int32(1) << 21
        var rows = [UInt8](repeating: 0, count: region.height * outWidth * 3)
        for y in 0..<region.height {
            for x in 0..<outWidth {
                for c in 0..<3 {
                    var sum = rounding
                    for t in 0..<h.count[x] {
                        let source = ((region.y + y) * image.width + region.x + h.first[x] + t) * 3 + c
                        sum &+= Int32(image.pixels[source]) &* h.weights[x * h.size + t]
                    }
                    rows[(y * outWidth + x) * 3 + c] = clip8(sum)
                }
            }
        }
        var out = [UInt8](repeating: 0, count: outWidth * outHeight * 3)
        for y in 0..<outHeight {
            for i in 0..<outWidth * 3 {
                var sum = rounding
                for t in 0..<v.count[y] {
                    sum &+= Int32(rows[(v.first[y] + t) * outWidth * 3 + i]) &* v.weights[y * v.size + t]
                }
                out[y * outWidth * 3 + i] = clip8(sum)
            }
        }
        return out
    }

    @Test(arguments: [
        (300, 200, 224, 224),  // taps within 128 bytes per group of sixteen
        (640, 480, 224, 224),  // within 256
        (1000, 50, 200, 30),  // some groups past 256 (gathered), and a tail of eight pixels
        (3000, 40, 224, 20),  // every group past 256
        (100, 60, 224, 224),  // enlarging
        (17, 9, 5, 3),  // narrower than a group
    ])
    func simdPassesMatchAPlainLoop(width: Int, height: Int, outWidth: Int, outHeight: Int) {
        // Scrambled bytes (Knuth's multiplicative hash of the index).
        let pixels = (0..<width * height * 3).map { UInt8(truncatingIfNeeded: (UInt32($0) &* 2_654_435_761) >> 24) }
        let image = RGBImage(width: width, height: height, pixels: pixels)
        // The whole image, and a region at its bottom-right corner: the last rows' windows reach the
        // buffer's end, where the kernels' loads must stop.
        let regions = [
            Resampler.Region(x: 0, y: 0, width: width, height: height),
            Resampler.Region(x: width / 5, y: height / 4, width: width - width / 5, height: height - height / 4),
        ]
        for region in regions {
            let expected = Self.plainResize(image, region: region, outWidth: outWidth, outHeight: outHeight)
            // Counts of differing bytes, so a failure prints two numbers rather than two images.
            for isa in InstructionSet.allCases where isa.isSupported {
                for threads in [1, 2] {
                    let got = Resampler.resize(
                        image, region: region, outWidth: outWidth, outHeight: outHeight, threads: threads, isa: isa)
                    #expect(zip(got, expected).filter { $0 != $1 }.count == 0 && got.count == expected.count, "\(isa)")
                }
            }
        }
    }
}
