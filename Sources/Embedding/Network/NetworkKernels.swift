import CVectorKernels
import Compute

/// The Swift face of the C convolution kernels (`CVectorKernels`): the one place the network calls C.
enum NetworkKernels {
    /// What a 1×1 convolution does to its sums before the store.
    typealias Epilogue = PackedMatrix.Epilogue

    /// Weights [k × n] quantised per column to int8 and packed for `isa`'s int8 kernel.
    static func packInt8(
        _ weights: [Float], bias: [Float], k: Int, n: Int, isa: InstructionSet, input: QuantizedInput
    ) -> PointwiseLayer.Int8Weights {
        let columns = Int(reco_qpointwise_padded_columns(isa.kernelValue, Int64(n)))
        let bytes = Int(reco_qpointwise_packed_bytes(isa.kernelValue, Int64(k), Int64(n)))
        var packed = [Int8](repeating: 0, count: bytes)
        var scales = [Float](repeating: 0, count: columns)
        var sums = [Int32](repeating: 0, count: columns)
        packed.withUnsafeMutableBufferPointer { p in
            scales.withUnsafeMutableBufferPointer { s in
                sums.withUnsafeMutableBufferPointer { c in
                    reco_qpointwise_pack(
                        isa.kernelValue, weights, Int64(k), Int64(n), p.baseAddress!, s.baseAddress!, c.baseAddress!)
                }
            }
        }
        return .init(
            packed: packed, scales: scales, columnSums: sums,
            bias: bias + [Float](repeating: 0, count: columns - n), input: input)
    }

    /// The int8 kernel `isa` runs ("avx512-vnni", "avx2", "portable").
    static func int8Kernel(_ isa: InstructionSet) -> String { String(cString: reco_qpointwise_kernel(isa.kernelValue)) }

    /// output[rows × out] = epilogue(input[rows × in] · W + b).
    static func pointwise(
        _ layer: PointwiseLayer, input: UnsafePointer<Float>, rows: Int, output: UnsafeMutablePointer<Float>,
        _ epilogue: Epilogue
    ) {
        switch layer.weights {
        case .float(let matrix):
            matrix.multiply(input, count: rows, into: output, epilogue)
        case .int8(let q):
            let (mode, residual) = epilogue.kernelArguments
            q.packed.withUnsafeBufferPointer { w in
                q.scales.withUnsafeBufferPointer { s in
                    q.columnSums.withUnsafeBufferPointer { c in
                        q.bias.withUnsafeBufferPointer { b in
                            reco_qpointwise(
                                layer.isa.kernelValue, input, Int64(rows), Int64(layer.inChannels), q.input.scale,
                                q.input.zero, w.baseAddress!, s.baseAddress!, c.baseAddress!, b.baseAddress!,
                                Int64(layer.outChannels), mode, residual, output)
                        }
                    }
                }
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
