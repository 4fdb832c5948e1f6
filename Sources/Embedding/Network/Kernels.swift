/// Hand-written kernels for the layers that are not GEMMs. Activations are NHWC (pixels ×
/// channels, channels contiguous), so the kernels vectorise over channels: 8-float SIMD
/// accumulators held in registers across all taps.
/// (Swift's generic SIMD helpers such as `clamped` and `pointwiseMin` compile to lane loops or
/// calls, so clamping is a plain loop that LLVM vectorises.) Index arithmetic wraps: sizes are
/// bounded by the network, and overflow checks block vectorisation.
enum Kernels {
    typealias V = SIMD8<Float>
    static let lanes = 8

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// a + b·c, unfused: the same bits on every CPU, and no software fma() where the build target
    /// lacks the instruction (`addingProduct` then costs a library call per lane).
    @inline(__always)
    static func multiplyAdd(_ a: V, _ b: V, _ c: V) -> V { a + b * c }

    /// Written as `x > 0 ? x : 0` and `x < 6 ? x : 6`, which are exactly SSE's maxps/minps
    /// (Swift.max/min order NaNs differently and compile to compare-and-blend sequences).
    @inline(__always)
    static func relu6(_ out: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n {
            let x = out[i] > 0 ? out[i] : 0
            out[i] = x < 6 ? x : 6
        }
    }

    /// Depthwise k×k convolution with TF-SAME padding, bias and ReLU6, for output rows
    /// `outputRows` of an h×w image. `input` holds the image's rows from `firstRow` on (every row
    /// those outputs read); `output` receives the band [outputRows × ow × channels].
    /// weights [k × k × channels].
    static func depthwise(
        input: UnsafePointer<Float>, firstRow: Int, height h: Int, width w: Int, channels: Int,
        output: UnsafeMutablePointer<Float>, outputRows: Range<Int>, weights: UnsafePointer<Float>,
        bias: UnsafePointer<Float>,
        kernel k: Int, stride s: Int
    ) {
        let py = SamePadding(input: h, kernel: k, stride: s)
        let px = SamePadding(input: w, kernel: k, stride: s)
        for oy in outputRows {
            let iy0 = oy &* s &- py.before
            let ky0 = Swift.max(0, -iy0)
            let ky1 = Swift.min(k, h &- iy0)
            for ox in 0..<px.output {
                let ix0 = ox &* s &- px.before
                let kx0 = Swift.max(0, -ix0)
                let kx1 = Swift.min(k, w &- ix0)
                let out = output + ((oy &- outputRows.lowerBound) &* px.output &+ ox) &* channels
                var c = 0
                // 32 channels at a time: four accumulators stay in registers over every tap.
                while c &+ 32 <= channels {
                    var a0 = load(bias + c)
                    var a1 = load(bias + (c &+ 8))
                    var a2 = load(bias + (c &+ 16))
                    var a3 = load(bias + (c &+ 24))
                    for ky in ky0..<ky1 {
                        let row: Int = (iy0 &+ ky &- firstRow) &* w &+ ix0
                        for kx in kx0..<kx1 {
                            let x = input + ((row &+ kx) &* channels &+ c)
                            let t = weights + ((ky &* k &+ kx) &* channels &+ c)
                            a0 = multiplyAdd(a0, load(x), load(t))
                            a1 = multiplyAdd(a1, load(x + 8), load(t + 8))
                            a2 = multiplyAdd(a2, load(x + 16), load(t + 16))
                            a3 = multiplyAdd(a3, load(x + 24), load(t + 24))
                        }
                    }
                    store(a0, out + c)
                    store(a1, out + (c &+ 8))
                    store(a2, out + (c &+ 16))
                    store(a3, out + (c &+ 24))
                    c &+= 32
                }
                while c &+ lanes <= channels {
                    var a = load(bias + c)
                    for ky in ky0..<ky1 {
                        let row: Int = (iy0 &+ ky &- firstRow) &* w &+ ix0
                        for kx in kx0..<kx1 {
                            a = multiplyAdd(
                                a, load(input + ((row &+ kx) &* channels &+ c)),
                                load(weights + ((ky &* k &+ kx) &* channels &+ c)))
                        }
                    }
                    store(a, out + c)
                    c &+= lanes
                }
                while c < channels {
                    var a = bias[c]
                    for ky in ky0..<ky1 {
                        let row: Int = (iy0 &+ ky &- firstRow) &* w &+ ix0
                        for kx in kx0..<kx1 {
                            a += input[(row &+ kx) &* channels &+ c] * weights[(ky &* k &+ kx) &* channels &+ c]
                        }
                    }
                    out[c] = a
                    c &+= 1
                }
                relu6(out, channels)
            }
        }
    }

    /// The stem: a dense k×k convolution from few input channels, TF-SAME padding, bias, ReLU6.
    /// input [h × w × inChannels] → output [oh × ow × channels]; weights [k × k × inChannels × channels].
    static func dense(
        input: UnsafePointer<Float>, height h: Int, width w: Int, inChannels: Int,
        output: UnsafeMutablePointer<Float>, channels: Int, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        kernel k: Int, stride s: Int
    ) {
        let py = SamePadding(input: h, kernel: k, stride: s)
        let px = SamePadding(input: w, kernel: k, stride: s)
        for oy in 0..<py.output {
            let iy0 = oy &* s &- py.before
            let ky0 = Swift.max(0, -iy0)
            let ky1 = Swift.min(k, h &- iy0)
            for ox in 0..<px.output {
                let ix0 = ox &* s &- px.before
                let kx0 = Swift.max(0, -ix0)
                let kx1 = Swift.min(k, w &- ix0)
                let out = output + (oy &* px.output &+ ox) &* channels
                var c = 0
                // 32 channels at a time: four independent FMA chains.
                while c &+ 32 <= channels {
                    var a0 = load(bias + c)
                    var a1 = load(bias + (c &+ 8))
                    var a2 = load(bias + (c &+ 16))
                    var a3 = load(bias + (c &+ 24))
                    for ky in ky0..<ky1 {
                        for kx in kx0..<kx1 {
                            let pixel = input + ((iy0 &+ ky) &* w &+ ix0 &+ kx) &* inChannels
                            let tap = weights + ((ky &* k &+ kx) &* inChannels &* channels &+ c)
                            for t in 0..<inChannels {
                                let v = V(repeating: pixel[t])
                                let wt = tap + t &* channels
                                a0 = multiplyAdd(a0, v, load(wt))
                                a1 = multiplyAdd(a1, v, load(wt + 8))
                                a2 = multiplyAdd(a2, v, load(wt + 16))
                                a3 = multiplyAdd(a3, v, load(wt + 24))
                            }
                        }
                    }
                    store(a0, out + c)
                    store(a1, out + (c &+ 8))
                    store(a2, out + (c &+ 16))
                    store(a3, out + (c &+ 24))
                    c &+= 32
                }
                while c < channels {
                    var a = bias[c]
                    for ky in ky0..<ky1 {
                        for kx in kx0..<kx1 {
                            let pixel = input + ((iy0 &+ ky) &* w &+ ix0 &+ kx) &* inChannels
                            let tap = weights + ((ky &* k &+ kx) &* inChannels &* channels &+ c)
                            for t in 0..<inChannels { a += pixel[t] * tap[t &* channels] }
                        }
                    }
                    out[c] = a
                    c &+= 1
                }
                relu6(out, channels)
            }
        }
    }

    /// Before a 1×1 convolution's GEMM: every output row starts as the folded bias, so the GEMM
    /// accumulates onto it (beta = 1) and no separate zeroing or bias pass is needed.
    static func fillRows(
        _ data: UnsafeMutablePointer<Float>, rows: Int, with bias: UnsafePointer<Float>, channels n: Int
    ) {
        for r in 0..<rows { (data + r &* n).update(from: bias, count: n) }
    }

    /// After a 1×1 convolution's GEMM: ReLU6, nothing, or the residual add.
    enum Epilogue {
        case relu6
        case linear
        case residual(UnsafePointer<Float>)
    }

    static func finish(_ data: UnsafeMutablePointer<Float>, count: Int, _ epilogue: Epilogue) {
        switch epilogue {
        case .relu6: relu6(data, count)
        case .linear: break
        case .residual(let skip): for i in 0..<count { data[i] += skip[i] }
        }
    }

    /// Mean over `rows` pixels of [rows × channels] into `output[channels]`.
    static func averagePool(
        _ input: UnsafePointer<Float>, rows: Int, channels n: Int, into output: UnsafeMutablePointer<Float>
    ) {
        output.update(repeating: 0, count: n)
        for r in 0..<rows {
            let row = input + r &* n
            for c in 0..<n { output[c] += row[c] }
        }
        let scale = 1 / Float(rows)
        for c in 0..<n { output[c] *= scale }
    }
}
