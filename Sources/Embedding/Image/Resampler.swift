import CVectorKernels
import Compute

/// Antialiased bilinear (triangle-filter) resampling, the algorithm of Pillow's
/// `Image.resize(size, BILINEAR)`: when shrinking, the triangle's support widens by the scale
/// factor, so every source pixel contributes (no aliasing); coefficients are 22-bit fixed point;
/// a horizontal pass into 8-bit rows, then a vertical pass. Reproducing it to the bit keeps our
/// network input identical to the reference pipeline's (checked by sha256 in the tests).
enum Resampler {
    private static let precisionBits = 32 - 8 - 2

    /// A source region: `width`×`height` RGB pixels starting at (`x`, `y`) of `image`.
    struct Region {
        let x: Int, y: Int, width: Int, height: Int
    }

    /// Per output position: first source index, number of taps, and fixed-point weights.
    struct Coefficients {
        let size: Int  // taps per output position (stride of `weights`)
        var first: [Int]
        var count: [Int]
        var weights: [Int32]

        init(inSize: Int, outSize: Int) {
            let scale = Double(inSize) / Double(outSize)
            let filterScale = max(scale, 1)
            let support = 1.0 * filterScale  // the triangle filter's support is 1
            size = Int(support.rounded(.up)) * 2 + 1
            first = [Int](repeating: 0, count: outSize)
            count = [Int](repeating: 0, count: outSize)
            weights = [Int32](repeating: 0, count: outSize * size)
            var k = [Double](repeating: 0, count: size)
            for xx in 0..<outSize {
                let center = (Double(xx) + 0.5) * scale
                let ss = 1.0 / filterScale
                let xmin = max(Int(center - support + 0.5), 0)
                let xmax = min(Int(center + support + 0.5), inSize) - xmin
                var total = 0.0
                for x in 0..<xmax {
                    let w = max(0, 1 - abs((Double(x + xmin) - center + 0.5) * ss))
                    k[x] = w
                    total += w
                }
                for x in 0..<size {
                    let normalised = x < xmax && total != 0 ? k[x] / total : 0
                    let fixed = normalised * Double(1 << precisionBits)
                    weights[xx * size + x] = Int32(
                        fixed < 0 ? (-0.5 + fixed).rounded(.towardZero) : (0.5 + fixed).rounded(.towardZero))
                }
                first[xx] = xmin
                count[xx] = xmax
            }
        }
    }

    /// Resizes `region` of `image` to `outWidth`×`outHeight` RGB bytes; each pass's rows are split
    /// across `threads` (every output byte is computed the same way, whatever the split, and on
    /// every kernel path `isa`).
    static func resize(
        _ image: RGBImage, region: Region, outWidth: Int, outHeight: Int, threads: Int = 1,
        isa: InstructionSet = .selectedOrPortable
    ) -> [UInt8] {
        let horizontal = Coefficients(inSize: region.width, outSize: outWidth)
        let vertical = Coefficients(inSize: region.height, outSize: outHeight)
        // Only source rows some output row uses are resized horizontally.
        let firstRow = vertical.first[0]
        let lastRow = vertical.first[outHeight - 1] + vertical.count[outHeight - 1]
        var temp = [UInt8](repeating: 0, count: (lastRow - firstRow) * outWidth * 3)
        // Per tap, per output pixel: the source byte offset within a row and the weight (0 past the
        // pixel's window, with an offset that stays inside it), so each row is one kernel call.
        let taps = horizontal.size
        var offsets = [Int32](repeating: 0, count: taps * outWidth)
        var weights = [Int32](repeating: 0, count: taps * outWidth)
        for xx in 0..<outWidth {
            for t in 0..<taps {
                let inside = t < horizontal.count[xx]
                offsets[t * outWidth + xx] = Int32((region.x + horizontal.first[xx] + (inside ? t : 0)) * 3)
                weights[t * outWidth + xx] = inside ? horizontal.weights[xx * taps + t] : 0
            }
        }
        let largest = offsets.max() ?? 0
        image.pixels.withUnsafeBufferPointer { src in
            temp.withUnsafeMutableBufferPointer { dst in
                offsets.withUnsafeBufferPointer { o in
                    weights.withUnsafeBufferPointer { w in
                        nonisolated(unsafe) let (src, dst, o, w) = (
                            src, dst.baseAddress!, o.baseAddress!, w.baseAddress!
                        )
                        ForkJoin.shared.split(firstRow..<lastRow, parts: threads) { _, rows in
                            let start = (region.y + rows.lowerBound) * image.width * 3
                            reco_resize_rows(
                                isa.kernelValue, src.baseAddress! + start, Int64(src.count - start),
                                Int64(image.width * 3),
                                Int64(rows.count), o, w, Int64(taps), Int64(outWidth), largest,
                                dst + (rows.lowerBound - firstRow) * outWidth * 3)
                        }
                    }
                }
            }
        }
        var out = [UInt8](repeating: 0, count: outWidth * outHeight * 3)
        let rowBytes = outWidth * 3
        temp.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                vertical.weights.withUnsafeBufferPointer { kk in
                    nonisolated(unsafe) let (src, dst, kk) = (src.baseAddress!, dst.baseAddress!, kk.baseAddress!)
                    ForkJoin.shared.split(0..<outHeight, parts: threads) { _, rows in
                        for yy in rows {
                            reco_resize_column_row(
                                isa.kernelValue, src + (vertical.first[yy] - firstRow) * rowBytes, Int64(rowBytes),
                                kk + yy * vertical.size, Int64(vertical.count[yy]), dst + yy * rowBytes)
                        }
                    }
                }
            }
        }
        return out
    }
}
