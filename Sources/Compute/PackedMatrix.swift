import CVectorKernels

/// A k×n float32 matrix and n biases packed once into the column panels of the hand-written GEMM
/// micro-kernels (`reco_pointwise`), for products by many inputs: the network's 1×1 convolutions,
/// and every vector's nearest centroids (where OpenBLAS's sgemm, re-packing on each call and on
/// the `OPENBLAS_CORETYPE=Haswell` path this machine sets, ran at half the rate: BENCHMARKS.md).
public struct PackedMatrix: Sendable {
    /// What the product does to its sums before the store.
    public enum Epilogue {
        case linear
        case relu6
        /// out += residual (m × n, the layout of out).
        case residual(UnsafePointer<Float>)

        /// The epilogue as the C kernels take it.
        public var kernelArguments: (reco_epilogue, UnsafePointer<Float>?) {
            switch self {
            case .linear: (RECO_EPILOGUE_LINEAR, nil)
            case .relu6: (RECO_EPILOGUE_RELU6, nil)
            case .residual(let skip): (RECO_EPILOGUE_RESIDUAL, skip)
            }
        }
    }

    /// k: the length of each input row.
    public let rows: Int
    /// n: the length of each output row.
    public let columns: Int
    public let isa: InstructionSet
    private let packed: [Float]
    private let bias: [Float]

    /// matrix: [rows × columns], row-major, or with `transposed` [columns × rows] (one row per output
    /// column: the product of an input row with it is its dot product with each of those rows);
    /// bias: [columns] (zeros when nil).
    public init(
        _ matrix: UnsafeBufferPointer<Float>, transposed: Bool = false, bias: [Float]? = nil, rows k: Int,
        columns n: Int, isa: InstructionSet
    ) {
        precondition(k > 0 && n > 0 && matrix.count == k * n && (bias?.count ?? n) == n)
        rows = k
        columns = n
        self.isa = isa
        let count = Int(reco_pointwise_packed_count(isa.kernelValue, Int64(k), Int64(n)))
        var packedBias = [Float](repeating: 0, count: count / k)
        packed = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            packedBias.withUnsafeMutableBufferPointer { b in
                reco_pointwise_pack(
                    isa.kernelValue, matrix.baseAddress!, transposed ? 1 : 0, bias, Int64(k), Int64(n),
                    out.baseAddress!, b.baseAddress!)
            }
            initialized = count
        }
        self.bias = packedBias
    }

    /// output[m × columns] = epilogue(input[m × rows] · matrix + bias). output must not alias input.
    public func multiply(
        _ input: UnsafePointer<Float>, count m: Int, into output: UnsafeMutablePointer<Float>,
        _ epilogue: Epilogue = .linear
    ) {
        let (mode, residual) = epilogue.kernelArguments
        packed.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                reco_pointwise(
                    isa.kernelValue, input, Int64(m), Int64(rows), w.baseAddress!, b.baseAddress!, Int64(columns),
                    mode, residual, output)
            }
        }
    }
}
