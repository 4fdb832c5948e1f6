import Compute

/// Layers with BatchNorm folded in at load: w' = w·γ/√(σ²+ε), b' = β − μ·γ/√(σ²+ε).

/// A 1×1 convolution, its weights packed at load for one instruction-set path (`NetworkKernels`):
/// float32, or int8 with the way its input is quantised.
struct PointwiseLayer: Sendable {
    let inChannels: Int
    let outChannels: Int
    let isa: InstructionSet
    let weights: Weights

    enum Weights: Sendable {
        case float(PackedMatrix)
        case int8(Int8Weights)
    }

    struct Int8Weights: Sendable {
        let matrix: PackedInt8Matrix
        let input: QuantizedInput
    }

    /// weights: [in × out], row-major. `int8`: quantise them, and the input this way.
    init(
        weights: [Float], bias: [Float], inChannels: Int, outChannels: Int, isa: InstructionSet,
        int8 input: QuantizedInput? = nil
    ) {
        precondition(weights.count == inChannels * outChannels && bias.count == outChannels)
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.isa = isa
        if let input {
            self.weights = .int8(
                Int8Weights(
                    matrix: weights.withUnsafeBufferPointer {
                        PackedInt8Matrix($0, bias: bias, rows: inChannels, columns: outChannels, isa: isa)
                    },
                    input: input))
        } else {
            self.weights = .float(
                weights.withUnsafeBufferPointer {
                    PackedMatrix($0, bias: bias, rows: inChannels, columns: outChannels, isa: isa)
                })
        }
    }
}

/// A k×k convolution: depthwise (`NetworkKernels.depthwise`, taps = 1) or the dense stem (`StemLayer`).
/// weights: [k × k × taps × channels].
struct SpatialLayer: Sendable {
    let inChannels: Int
    let channels: Int
    let kernel: Int
    let stride: Int
    let dense: Bool
    let weights: [Float]
    let bias: [Float]
}

/// The stem: a dense k×k convolution from a few channels, run as a 1×1 convolution over patches
/// (each output pixel's k·k·in inputs in a row: the folded [k, k, in, out] weights are already that
/// 1×1 convolution's [k·k·in × out] matrix).
struct StemLayer: Sendable {
    let inChannels: Int
    let kernel: Int
    let stride: Int
    let inputSize: Int
    let outputSize: Int
    let conv: PointwiseLayer
    /// Output rows per band of patches: about 32 K floats of them, to stay in L2.
    let bandRows: Int

    init(_ layer: SpatialLayer, inputSize: Int, isa: InstructionSet) {
        precondition(layer.dense)
        inChannels = layer.inChannels
        kernel = layer.kernel
        stride = layer.stride
        self.inputSize = inputSize
        outputSize = SamePadding(input: inputSize, kernel: kernel, stride: stride).output
        conv = PointwiseLayer(
            weights: layer.weights, bias: layer.bias, inChannels: kernel * kernel * inChannels,
            outChannels: layer.channels, isa: isa)
        bandRows = max(1, min(outputSize, 32 * 1024 / (outputSize * conv.inChannels)))
    }

    var patchBandFloats: Int { bandRows * outputSize * conv.inChannels }
}

struct InvertedResidualBlock: Sendable {
    let expand: PointwiseLayer?
    let depthwise: SpatialLayer
    let project: PointwiseLayer
    /// Spatial size (height = width) of the block's input and output.
    let inputSize: Int
    let outputSize: Int
    /// Output rows per fused band: as many as keep one band of expanded input rows within the budget.
    let bandRows: Int

    init(expand: PointwiseLayer?, depthwise: SpatialLayer, project: PointwiseLayer, inputSize: Int, bandBudget: Int) {
        self.expand = expand
        self.depthwise = depthwise
        self.project = project
        self.inputSize = inputSize
        outputSize = SamePadding(input: inputSize, kernel: depthwise.kernel, stride: depthwise.stride).output
        let rowFloats = inputSize * depthwise.channels
        bandRows = max(1, min(outputSize, bandBudget / (depthwise.stride * rowFloats)))
    }

    /// The int8 network keeps its expanded and depthwise bands as ReLU6 codes, one byte a value.
    var keepsCodes: Bool {
        if case .int8 = project.weights { true } else { false }
    }

    var hasResidual: Bool { depthwise.stride == 1 && (expand?.inChannels ?? depthwise.channels) == project.outChannels }

    /// Floats of expanded input rows one band needs.
    var expandedBandFloats: Int {
        expand == nil
            ? 0 : min(inputSize, (bandRows - 1) * depthwise.stride + depthwise.kernel) * inputSize * depthwise.channels
    }

    /// Floats of depthwise output one band holds.
    var depthwiseBandFloats: Int { bandRows * outputSize * depthwise.channels }
}

/// Reads a conv weight and the BatchNorm after it, and folds them together.
struct BatchNormFolder {
    let file: WeightsFile
    let epsilon: Double
    let isa: InstructionSet

    /// Returns (scale, shift) per output channel.
    func batchNorm(_ prefix: String, channels: Int) throws -> (scale: [Double], shift: [Double]) {
        let gamma = try file.tensor("\(prefix).weight", shape: [channels])
        let beta = try file.tensor("\(prefix).bias", shape: [channels])
        let mean = try file.tensor("\(prefix).running_mean", shape: [channels])
        let variance = try file.tensor("\(prefix).running_var", shape: [channels])
        let scale = (0..<channels).map { Double(gamma[$0]) / (Double(variance[$0]) + epsilon).squareRoot() }
        let shift = (0..<channels).map { Double(beta[$0]) - Double(mean[$0]) * scale[$0] }
        return (scale, shift)
    }

    func pointwise(conv: String, bn: String, inChannels: Int, outChannels: Int, int8 input: QuantizedInput? = nil)
        throws -> PointwiseLayer
    {
        let w = try file.tensor("\(conv).weight", shape: [outChannels, inChannels, 1, 1])
        let (scale, shift) = try batchNorm(bn, channels: outChannels)
        var folded = [Float](repeating: 0, count: w.count)
        for o in 0..<outChannels {
            for i in 0..<inChannels { folded[i * outChannels + o] = Float(Double(w[o * inChannels + i]) * scale[o]) }
        }
        return PointwiseLayer(
            weights: folded, bias: shift.map(Float.init), inChannels: inChannels, outChannels: outChannels, isa: isa,
            int8: input)
    }

    /// Torch layout [out, in/groups, k, k] → [k, k, taps, out].
    func spatial(conv: String, bn: String, inChannels: Int, channels: Int, kernel k: Int, stride: Int, dense: Bool)
        throws -> SpatialLayer
    {
        let taps = dense ? inChannels : 1
        let w = try file.tensor("\(conv).weight", shape: [channels, taps, k, k])
        let (scale, shift) = try batchNorm(bn, channels: channels)
        var folded = [Float](repeating: 0, count: w.count)
        for o in 0..<channels {
            for t in 0..<taps {
                for ky in 0..<k {
                    for kx in 0..<k {
                        let source = ((o * taps + t) * k + ky) * k + kx
                        folded[((ky * k + kx) * taps + t) * channels + o] = Float(Double(w[source]) * scale[o])
                    }
                }
            }
        }
        return SpatialLayer(
            inChannels: inChannels, channels: channels, kernel: k, stride: stride, dense: dense,
            weights: folded, bias: shift.map(Float.init))
    }
}
