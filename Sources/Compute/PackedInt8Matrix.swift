import CVectorKernels

/// A k×n float32 matrix quantised per column to int8 and packed for the int8 kernels
/// (`reco_qpointwise`): input rows are quantised per tensor to uint8 as the kernel reaches them
/// (x ≈ scale · (q − zero)), or come as ReLU6 codes already, and are summed in int32. The
/// network's int8 1×1 convolutions, and the search index's nearest centroids where it outruns the
/// float32 kernel (`isFast`).
public struct PackedInt8Matrix: Sendable {
    /// k: the length of each input row.
    public let rows: Int
    /// n: the length of each output row.
    public let columns: Int
    public let isa: InstructionSet
    private let packed: [Int8]
    private let scales: [Float]
    private let columnSums: [Int32]
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
        let padded = Int(reco_qpointwise_padded_columns(isa.kernelValue, Int64(n)))
        var packed = [Int8](repeating: 0, count: Int(reco_qpointwise_packed_bytes(isa.kernelValue, Int64(k), Int64(n))))
        var scales = [Float](repeating: 0, count: padded)
        var sums = [Int32](repeating: 0, count: padded)
        packed.withUnsafeMutableBufferPointer { p in
            scales.withUnsafeMutableBufferPointer { s in
                sums.withUnsafeMutableBufferPointer { c in
                    reco_qpointwise_pack(
                        isa.kernelValue, matrix.baseAddress!, transposed ? 1 : 0, Int64(k), Int64(n), p.baseAddress!,
                        s.baseAddress!, c.baseAddress!)
                }
            }
        }
        self.packed = packed
        self.scales = scales
        columnSums = sums
        self.bias = (bias ?? []) + [Float](repeating: 0, count: padded - (bias?.count ?? 0))
    }

    /// The kernel `isa` runs: "avx512-vnni", "avx2-madd" (vpmaddwd on 16-bit pairs) or "portable".
    public static func kernel(_ isa: InstructionSet) -> String {
        String(cString: reco_qpointwise_kernel(isa.kernelValue))
    }

    /// Whether `isa` has an int8 kernel that outruns the float32 one: AVX-512 VNNI (3.8× on the
    /// centroid product of `ops/bench/gemm`), AVX2's vpmaddwd (1.7×).
    public static func isFast(on isa: InstructionSet) -> Bool { kernel(isa) != "portable" }

    /// output[m × columns] = epilogue(input[m × rows] · matrix + bias), the input quantised with
    /// (inputScale, inputZero): values outside the range saturate. output must not alias input.
    public func multiply(
        _ input: UnsafePointer<Float>, count m: Int, inputScale: Float, inputZero: Int32,
        into output: UnsafeMutablePointer<Float>, _ epilogue: PackedMatrix.Epilogue = .linear
    ) {
        let (mode, residual) = epilogue.kernelArguments
        withPacked { w, s, c, b in
            reco_qpointwise(
                isa.kernelValue, input, Int64(m), Int64(rows), inputScale, inputZero, w, s, c, b, Int64(columns), mode,
                residual, output)
        }
    }

    /// `multiply` of rows held as ReLU6 codes (`ReLU6Codes`).
    public func multiply(
        codes input: UnsafePointer<UInt8>, count m: Int, into output: UnsafeMutablePointer<Float>,
        _ epilogue: PackedMatrix.Epilogue = .linear
    ) {
        let (mode, residual) = epilogue.kernelArguments
        withPacked { w, s, c, b in
            reco_qpointwise_from_codes(
                isa.kernelValue, input, Int64(m), Int64(rows), w, s, c, b, Int64(columns), mode, residual, output)
        }
    }

    /// `multiply` with ReLU6, its outputs stored as codes (`ReLU6Codes`).
    public func multiply(
        _ input: UnsafePointer<Float>, count m: Int, inputScale: Float, inputZero: Int32,
        intoCodes output: UnsafeMutablePointer<UInt8>
    ) {
        withPacked { w, s, c, b in
            reco_qpointwise_to_codes(
                isa.kernelValue, input, Int64(m), Int64(rows), inputScale, inputZero, w, s, c, b, Int64(columns),
                output)
        }
    }

    private func withPacked(
        _ body: (
            UnsafePointer<Int8>, UnsafePointer<Float>, UnsafePointer<Int32>, UnsafePointer<Float>
        ) -> Void
    ) {
        packed.withUnsafeBufferPointer { w in
            scales.withUnsafeBufferPointer { s in
                columnSums.withUnsafeBufferPointer { c in
                    bias.withUnsafeBufferPointer { b in
                        body(w.baseAddress!, s.baseAddress!, c.baseAddress!, b.baseAddress!)
                    }
                }
            }
        }
    }
}

/// How the int8 network keeps ReLU6 outputs in memory: one byte per value, x = q · step.
public enum ReLU6Codes {
    public static let step: Float = RECO_RELU6_CODE_STEP
}
