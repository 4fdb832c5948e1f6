import CVectorKernels
import Compute

/// The Swift face of the C convolution kernels (`CVectorKernels`): the one place the network calls C.
enum NetworkKernels {
    /// What a 1×1 convolution does to its sums before the store.
    typealias Epilogue = PackedMatrix.Epilogue

    /// output[rows × out] = epilogue(input[rows × in] · W + b). Codes go in and out of int8 layers
    /// only, and come out after ReLU6 only.
    static func pointwise(
        _ layer: PointwiseLayer, input: Activations, rows: Int, output: Activations, _ epilogue: Epilogue
    ) {
        switch (layer.weights, input, output) {
        case (.float(let matrix), .floats(let x), .floats(let y)):
            matrix.multiply(x, count: rows, into: y, epilogue)
        case (.int8(let q), .floats(let x), .floats(let y)):
            q.matrix.multiply(x, count: rows, inputScale: q.input.scale, inputZero: q.input.zero, into: y, epilogue)
        case (.int8(let q), .codes(let x), .floats(let y)):
            precondition(q.input == .relu6, "codes are ReLU6 outputs")
            q.matrix.multiply(codes: x, count: rows, into: y, epilogue)
        case (.int8(let q), .floats(let x), .codes(let y)):
            guard case .relu6 = epilogue else { preconditionFailure("only ReLU6 outputs are stored as codes") }
            q.matrix.multiply(x, count: rows, inputScale: q.input.scale, inputZero: q.input.zero, intoCodes: y)
        default:
            preconditionFailure("\(layer.weights) from \(input) to \(output): no such kernel")
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
    /// `input` holds the image's rows from `firstRow` on. Floats to floats, floats to codes, or
    /// codes to codes.
    static func depthwise(
        _ layer: SpatialLayer, input: Activations, firstRow: Int, size: Int, outputRows: Range<Int>,
        output: Activations, isa: InstructionSet
    ) {
        let (h, c, k, s) = (Int64(size), Int64(layer.channels), Int64(layer.kernel), Int64(layer.stride))
        let (r0, r1) = (Int64(outputRows.lowerBound), Int64(outputRows.upperBound))
        layer.weights.withUnsafeBufferPointer { w in
            layer.bias.withUnsafeBufferPointer { b in
                let (w, b, isa) = (w.baseAddress!, b.baseAddress!, isa.kernelValue)
                switch (input, output) {
                case (.floats(let x), .floats(let y)):
                    reco_depthwise(isa, x, Int64(firstRow), h, h, c, w, b, k, s, r0, r1, y)
                case (.floats(let x), .codes(let y)):
                    reco_depthwise_to_codes(isa, x, Int64(firstRow), h, h, c, w, b, k, s, r0, r1, y)
                case (.codes(let x), .codes(let y)):
                    reco_depthwise_codes(isa, x, Int64(firstRow), h, h, c, w, b, k, s, r0, r1, y)
                case (.codes, .floats):
                    preconditionFailure("the depthwise layer of a band of codes writes codes")
                }
            }
        }
    }
}
