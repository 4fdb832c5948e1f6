/// The Swift kernels of the steps the C kernels (`NetworkKernels`) do not cover: the stem's patches
/// and the pool. Activations are NHWC (pixels × channels, channels contiguous). Index arithmetic
/// wraps: sizes are bounded by the network, and overflow checks block vectorisation.
enum Kernels {
    /// The stem's patches (im2col) for output rows `outputRows` of an h×h×channels image, TF-SAME
    /// padding: per output pixel, its k·k·channels inputs in (ky, kx, channel) order, 0 outside.
    static func patches(
        _ input: UnsafePointer<Float>, size h: Int, channels: Int, kernel k: Int, stride s: Int,
        outputRows: Range<Int>, into out: UnsafeMutablePointer<Float>
    ) {
        let pad = SamePadding(input: h, kernel: k, stride: s)
        let span = k &* channels  // one kernel row of a patch: k pixels, contiguous in the input
        var o = out
        for oy in outputRows {
            for ox in 0..<pad.output {
                let ix0 = ox &* s &- pad.before
                let whole = ix0 >= 0 && ix0 &+ k <= h
                for ky in 0..<k {
                    let iy = oy &* s &- pad.before &+ ky
                    if iy < 0 || iy >= h {
                        for j in 0..<span { o[j] = 0 }
                    } else if whole {
                        // A plain loop, not update(from:): a library call per 9 floats cost more than the copy.
                        let row = input + (iy &* h &+ ix0) &* channels
                        for j in 0..<span { o[j] = row[j] }
                    } else {
                        for kx in 0..<k {
                            let ix = ix0 &+ kx
                            let inside = ix >= 0 && ix < h
                            for c in 0..<channels {
                                o[kx &* channels &+ c] = inside ? input[(iy &* h &+ ix) &* channels &+ c] : 0
                            }
                        }
                    }
                    o += span
                }
            }
        }
    }

    /// Mean over `rows` pixels of [rows × channels] into `output[channels]`.
    static func averagePool(
        _ input: UnsafePointer<Float>, rows: Int, channels n: Int, into output: UnsafeMutablePointer<Float>
    ) {
        output.update(repeating: 0, count: n)
        for r in 0..<rows {
            let row = input + r &* n
            for c in 0..<n { output[c] += row[c] }
        }
        let scale = 1 / Float(rows)
        for c in 0..<n { output[c] *= scale }
    }
}
