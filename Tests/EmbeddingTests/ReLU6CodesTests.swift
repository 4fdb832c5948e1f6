import Compute
import Testing

@testable import Embedding

/// The int8 network's kernels on ReLU6 codes (one byte a value), on every path this CPU runs: the
/// depthwise layer against plain double arithmetic, and the 1×1 convolutions on codes against the
/// same convolutions on the values the codes stand for.
@Suite struct ReLU6CodesTests {
    static let paths = InstructionSet.allCases.filter(\.isSupported)

    /// A small deterministic generator, so a failure reproduces.
    struct Numbers {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        mutating func unit() -> Float { Float(next() % 10_000) / 10_000 }
        mutating func code() -> UInt8 { UInt8(next() % 256) }
    }

    static func code(_ v: Double) -> UInt8 {
        UInt8((min(max(v, 0), 6) * 255 / 6).rounded(.toNearestOrEven))
    }

    /// The kernels' own rounding of a ReLU6 output (float32: v · 42.5, to nearest even).
    static func code(_ v: Float) -> UInt8 { UInt8((v * 42.5).rounded(.toNearestOrEven)) }

    /// TF-SAME depthwise + bias + ReLU6 over values, in double, as codes.
    static func plainDepthwise(_ x: [Double], size: Int, layer: SpatialLayer) -> [UInt8] {
        let (k, s, c) = (layer.kernel, layer.stride, layer.channels)
        let pad = SamePadding(input: size, kernel: k, stride: s)
        var out: [UInt8] = []
        for oy in 0..<pad.output {
            for ox in 0..<pad.output {
                for ch in 0..<c {
                    var sum = Double(layer.bias[ch])
                    for ky in 0..<k {
                        for kx in 0..<k {
                            let (iy, ix) = (oy * s - pad.before + ky, ox * s - pad.before + kx)
                            guard (0..<size).contains(iy), (0..<size).contains(ix) else { continue }
                            sum += x[(iy * size + ix) * c + ch] * Double(layer.weights[(ky * k + kx) * c + ch])
                        }
                    }
                    out.append(code(sum))
                }
            }
        }
        return out
    }

    // 40 channels: two vectors of 16 and a remainder; size 9 with k = 5 reads a padded copy, 20 in place.
    @Test(arguments: paths)
    func depthwiseOnCodesMatchesPlainArithmetic(isa: InstructionSet) {
        var numbers = Numbers(state: 7)
        for (k, s) in [(3, 1), (3, 2), (5, 1), (5, 2)] {
            for size in [9, 20] {
                let channels = 40
                let layer = SpatialLayer(
                    inChannels: channels, channels: channels, kernel: k, stride: s, dense: false,
                    weights: (0..<k * k * channels).map { _ in numbers.unit() - 0.5 },
                    bias: (0..<channels).map { _ in 2 * numbers.unit() - 1 })
                var codes = (0..<size * size * channels).map { _ in numbers.code() }
                var values = codes.map { Float($0) * ReLU6Codes.step }
                let expected = Self.plainDepthwise(values.map(Double.init), size: size, layer: layer)
                let outSize = SamePadding(input: size, kernel: k, stride: s).output
                var fromCodes = [UInt8](repeating: 0, count: expected.count)
                var fromFloats = fromCodes
                codes.withUnsafeMutableBufferPointer { input in
                    fromCodes.withUnsafeMutableBufferPointer { out in
                        NetworkKernels.depthwise(
                            layer, input: .codes(input.baseAddress!), firstRow: 0, size: size,
                            outputRows: 0..<outSize, output: .codes(out.baseAddress!), isa: isa)
                    }
                }
                values.withUnsafeMutableBufferPointer { input in
                    fromFloats.withUnsafeMutableBufferPointer { out in
                        NetworkKernels.depthwise(
                            layer, input: .floats(input.baseAddress!), firstRow: 0, size: size,
                            outputRows: 0..<outSize, output: .codes(out.baseAddress!), isa: isa)
                    }
                }
                // float32 sums in another order than double: a sum on a step's edge may round to
                // the next code, no further.
                for (name, got) in [("codes", fromCodes), ("floats", fromFloats)] {
                    let off = zip(got, expected).map { abs(Int($0) - Int($1)) }
                    #expect(off.max() ?? 0 <= 1, "\(isa) k\(k) s\(s) size \(size) from \(name)")
                    #expect(off.filter { $0 != 0 }.count * 100 <= off.count, "\(isa) k\(k) s\(s) from \(name)")
                }
            }
        }
    }

    // k = 30 is not a multiple of 4 (the VNNI kernel copies the rows), 33 rows end in a part tile.
    @Test(arguments: paths, [24, 30])
    func pointwiseOnCodesIsPointwiseOnTheirValues(isa: InstructionSet, k: Int) {
        var numbers = Numbers(state: 11)
        let (m, n) = (33, 40)
        let layer = PointwiseLayer(
            weights: (0..<k * n).map { _ in numbers.unit() - 0.5 }, bias: (0..<n).map { _ in numbers.unit() - 0.5 },
            inChannels: k, outChannels: n, isa: isa, int8: .relu6)
        var codes = (0..<m * k).map { _ in numbers.code() }
        var values = codes.map { Float($0) * ReLU6Codes.step }
        var fromCodes = [Float](repeating: 0, count: m * n)
        var fromValues = fromCodes
        var codesOut = [UInt8](repeating: 0, count: m * n)
        var relu6 = fromCodes
        codes.withUnsafeMutableBufferPointer { x in
            fromCodes.withUnsafeMutableBufferPointer { y in
                NetworkKernels.pointwise(
                    layer, input: .codes(x.baseAddress!), rows: m, output: .floats(y.baseAddress!), .linear)
            }
        }
        values.withUnsafeMutableBufferPointer { x in
            fromValues.withUnsafeMutableBufferPointer { y in
                NetworkKernels.pointwise(
                    layer, input: .floats(x.baseAddress!), rows: m, output: .floats(y.baseAddress!), .linear)
            }
            relu6.withUnsafeMutableBufferPointer { y in
                NetworkKernels.pointwise(
                    layer, input: .floats(x.baseAddress!), rows: m, output: .floats(y.baseAddress!), .relu6)
            }
            codesOut.withUnsafeMutableBufferPointer { y in
                NetworkKernels.pointwise(
                    layer, input: .floats(x.baseAddress!), rows: m, output: .codes(y.baseAddress!), .relu6)
            }
        }
        let unlike = zip(fromCodes, fromValues).filter { $0 != $1 }.count
        #expect(unlike == 0, "\(isa) k \(k): \(unlike) of \(m * n) outputs differ")
        let miscoded = zip(codesOut, relu6.map { Self.code($0) }).filter { $0 != $1 }.count
        #expect(miscoded == 0, "\(isa) k \(k): \(miscoded) of \(m * n) codes differ")
        #expect(Set(codesOut).count > 50, "the outputs span the codes")
    }
}
