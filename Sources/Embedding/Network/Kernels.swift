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
        var o = out
        for oy in outputRows {
            for ox in 0..<pad.output {
                for ky in 0..<k {
                    let iy = oy &* s &- pad.before &+ ky
                    for kx in 0..<k {
                        let ix = ox &* s &- pad.before &+ kx
                        if iy >= 0 && iy < h && ix >= 0 && ix < h {
                            o.update(from: input + (iy &* h &+ ix) &* channels, count: channels)
                        } else {
                            o.update(repeating: 0, count: channels)
                        }
                        o += channels
                    }
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
