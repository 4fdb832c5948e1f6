/// Hand-written vectorised kernels for the layers that are not GEMMs. Activations are NHWC
/// (pixels × channels, channels contiguous), so every kernel vectorises over channels.
/// Index arithmetic uses wrapping operators: the sizes are bounded by the network, and checked
/// arithmetic keeps these loops from vectorising.
enum Kernels {
    typealias Vector = SIMD16<Float>
    static let lanes = Vector.scalarCount

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    @inline(__always)
    static func relu6(_ v: Vector) -> Vector {
        v.clamped(lowerBound: Vector(repeating: 0), upperBound: Vector(repeating: 6))
    }

    @inline(__always)
    static func relu6(_ x: Float) -> Float { min(max(x, 0), 6) }

    /// Depthwise (or, with `inChannels` > 1 and tap weights per input channel, the stem's dense)
    /// convolution with TF-SAME padding, bias, and ReLU6.
    /// - input: [h × w × inChannels]; output: [oh × ow × channels]
    /// - weights: [k × k × taps × channels] where taps = inChannels for a dense conv (stem) and 1
    ///   for a depthwise conv (then inChannels == channels and tap c reads input channel c).
    static func convolve(
        input: UnsafePointer<Float>, height h: Int, width w: Int, inChannels: Int,
        output: UnsafeMutablePointer<Float>, channels: Int,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        kernel k: Int, stride s: Int, dense: Bool
    ) {
        let py = SamePadding(input: h, kernel: k, stride: s)
        let px = SamePadding(input: w, kernel: k, stride: s)
        let taps = dense ? inChannels : 1
        for oy in 0..<py.output {
            let iy0 = oy &* s &- py.before
            let ky0 = max(0, -iy0), ky1 = min(k, h &- iy0)
            for ox in 0..<px.output {
                let ix0 = ox &* s &- px.before
                let kx0 = max(0, -ix0), kx1 = min(k, w &- ix0)
                let out = output + (oy &* px.output &+ ox) &* channels
                var c = 0
                while c &+ lanes <= channels {
                    var acc = load(bias + c)
                    for ky in ky0..<ky1 {
                        for kx in kx0..<kx1 {
                            let pixelIndex: Int = ((iy0 &+ ky) &* w &+ ix0 &+ kx) &* inChannels
                            let tapIndex: Int = (ky &* k &+ kx) &* taps &* channels &+ c
                            let pixel = input + pixelIndex, tap = weights + tapIndex
                            if dense {
                                for t in 0..<taps {
                                    acc += Vector(repeating: pixel[t]) * load(tap + t &* channels)
                                }
                            } else {
                                acc += load(pixel + c) * load(tap)
                            }
                        }
                    }
                    store(relu6(acc), out + c)
                    c &+= lanes
                }
                while c < channels {
                    var acc = bias[c]
                    for ky in ky0..<ky1 {
                        for kx in kx0..<kx1 {
                            let pixelIndex: Int = ((iy0 &+ ky) &* w &+ ix0 &+ kx) &* inChannels
                            let tapIndex: Int = (ky &* k &+ kx) &* taps &* channels &+ c
                            let pixel = input + pixelIndex, tap = weights + tapIndex
                            if dense {
                                for t in 0..<taps { acc += pixel[t] * tap[t &* channels] }
                            } else {
                                acc += pixel[c] * tap[0]
                            }
                        }
                    }
                    out[c] = relu6(acc)
                    c &+= 1
                }
            }
        }
    }

    /// After a 1×1 convolution's GEMM: add the folded bias, then ReLU6 or a residual.
    enum Epilogue {
        case relu6
        case linear
        case residual(UnsafePointer<Float>)
    }

    static func finish(
        _ data: UnsafeMutablePointer<Float>, rows: Int, channels: Int,
        bias: UnsafePointer<Float>, _ epilogue: Epilogue
    ) {
        for r in 0..<rows {
            let row = data + r &* channels
            var c = 0
            switch epilogue {
            case .relu6:
                while c &+ lanes <= channels { store(relu6(load(row + c) + load(bias + c)), row + c); c &+= lanes }
                while c < channels { row[c] = relu6(row[c] + bias[c]); c &+= 1 }
            case .linear:
                while c &+ lanes <= channels { store(load(row + c) + load(bias + c), row + c); c &+= lanes }
                while c < channels { row[c] += bias[c]; c &+= 1 }
            case .residual(let skip):
                let skipRow = skip + r &* channels
                while c &+ lanes <= channels {
                    store(load(row + c) + load(bias + c) + load(skipRow + c), row + c); c &+= lanes
                }
                while c < channels { row[c] += bias[c] + skipRow[c]; c &+= 1 }
            }
        }
    }

    /// Mean over `rows` pixels of [rows × channels] into `output[channels]`.
    static func averagePool(_ input: UnsafePointer<Float>, rows: Int, channels: Int, into output: UnsafeMutablePointer<Float>) {
        output.update(repeating: 0, count: channels)
        for r in 0..<rows {
            let row = input + r &* channels
            var c = 0
            while c &+ lanes <= channels { store(load(output + c) + load(row + c), output + c); c &+= lanes }
            while c < channels { output[c] += row[c]; c &+= 1 }
        }
        let scale = 1 / Float(rows)
        for c in 0..<channels { output[c] *= scale }
    }
}
