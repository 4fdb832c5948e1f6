/// The Swift kernel of the step the C kernels (`NetworkKernels`) do not cover: the pool.
/// Activations are NHWC (pixels × channels, channels contiguous).
enum Kernels {
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
