/// TensorFlow "SAME" padding: the output has ceil(input/stride) positions; the total padding
/// max((out − 1)·stride + kernel − input, 0) is split with the smaller half before (top/left).
/// Symmetric padding runs too, but gives wrong vectors (cosine 0.84–0.90 to the right ones).
struct SamePadding: Equatable {
    init(output: Int, before: Int) {
        self.output = output
        self.before = before
    }

    let output: Int
    let before: Int

    init(input: Int, kernel: Int, stride: Int) {
        output = (input + stride - 1) / stride
        before = max((output - 1) * stride + kernel - input, 0) / 2
    }
}
