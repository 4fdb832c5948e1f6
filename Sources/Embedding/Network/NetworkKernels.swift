import CVectorKernels
import Compute

/// The Swift face of the C convolution kernels (`CVectorKernels`): the one place the network calls C.
enum NetworkKernels {
    /// What a 1×1 convolution does to its sums before the store.
    enum Epilogue {
        case relu6
        case linear
        case residual(UnsafePointer<Float>)
    }

    /// Weights [k × n] and bias [n] in the layout of `isa`'s micro-kernel.
    static func pack(_ weights: [Float], bias: [Float], k: Int, n: Int, isa: InstructionSet) -> (
        weights: [Float], bias: [Float]
    ) {
        let count = Int(reco_pointwise_packed_count(isa.kernelValue, Int64(k), Int64(n)))
        let padded = count / max(k, 1)
        var packedBias = [Float](repeating: 0, count: padded)
        let packed = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            packedBias.withUnsafeMutableBufferPointer { b in
                reco_pointwise_pack(
                    isa.kernelValue, weights, bias, Int64(k), Int64(n), out.baseAddress!, b.baseAddress!)
            }
            initialized = count
        }
        return (packed, packedBias)
    }

    /// output[rows × out] = epilogue(input[rows × in] · W + b).
    static func pointwise(
        _ layer: PointwiseLayer, input: UnsafePointer<Float>, rows: Int, output: UnsafeMutablePointer<Float>,
        _ epilogue: Epilogue
    ) {
        let (mode, residual): (reco_epilogue, UnsafePointer<Float>?) =
            switch epilogue {
            case .relu6: (RECO_EPILOGUE_RELU6, nil)
            case .linear: (RECO_EPILOGUE_LINEAR, nil)
            case .residual(let skip): (RECO_EPILOGUE_RESIDUAL, skip)
            }
        layer.packed.withUnsafeBufferPointer { w in
            layer.packedBias.withUnsafeBufferPointer { b in
                reco_pointwise(
                    layer.isa.kernelValue, input, Int64(rows), Int64(layer.inChannels), w.baseAddress!,
                    b.baseAddress!, Int64(layer.outChannels), mode, residual, output)
            }
        }
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
