import CVectorKernels
import Compute

/// The Swift face of the C convolution kernels (`CVectorKernels`): the one place the network calls C.
enum NetworkKernels {
    /// What a 1×1 convolution does to its sums before the store.
    typealias Epilogue = PackedMatrix.Epilogue

    /// output[rows × out] = epilogue(input[rows × in] · W + b).
    static func pointwise(
        _ layer: PointwiseLayer, input: UnsafePointer<Float>, rows: Int, output: UnsafeMutablePointer<Float>,
        _ epilogue: Epilogue
    ) {
        switch layer.weights {
        case .float(let matrix):
            matrix.multiply(input, count: rows, into: output, epilogue)
        case .int8(let q):
            q.matrix.multiply(
                input, count: rows, inputScale: q.input.scale, inputZero: q.input.zero, into: output, epilogue)
        }
    }

    /// The stem's patches of output rows `outputRows` (see `reco_stem_patches`), from the network's
    /// uint8 input, normalised.
    static func stemPatches(
        _ stem: StemLayer, input: UnsafePointer<UInt8>, outputRows: Range<Int>, into out: UnsafeMutablePointer<Float>
    ) {
        reco_stem_patches(
            input, Int64(stem.inputSize), Int64(stem.inChannels), Int64(stem.kernel), Int64(stem.stride),
            Int64(outputRows.lowerBound), Int64(outputRows.upperBound), out)
    }

    /// Depthwise convolution + bias + ReLU6 of output rows `outputRows` (see `reco_depthwise`):
    /// `input` holds the image's rows from `firstRow` on.
    static func depthwise(
        _ layer: SpatialLayer, input: UnsafePointer<Float>, firstRow: Int, size: Int,
        outputRows: Range<Int>, output: UnsafeMutablePointer<Float>, isa: InstructionSet
    ) {
        layer.weights.withUnsafeBufferPointer { w in
            layer.bias.withUnsafeBufferPointer { b in
                reco_depthwise(
                    isa.kernelValue, input, Int64(firstRow), Int64(size), Int64(size), Int64(layer.channels),
                    w.baseAddress!, b.baseAddress!, Int64(layer.kernel), Int64(layer.stride),
                    Int64(outputRows.lowerBound), Int64(outputRows.upperBound), output)
            }
        }
    }
}
