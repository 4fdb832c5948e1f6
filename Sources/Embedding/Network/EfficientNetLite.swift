import Foundation

/// EfficientNet-Lite forward pass (no squeeze-excite, ReLU6, TF-SAME padding), built from a
/// `ModelSpec` and a converted weights file. Immutable after load, so one instance serves every
/// thread; per-call memory lives in a `Workspace`.
public final class EfficientNetLite: Sendable {
    public let spec: ModelSpec
    let stem: SpatialLayer
    let blocks: [InvertedResidualBlock]
    let head: PointwiseLayer
    let classifierWeights: [Float]  // [classes × head]
    let classifierBias: [Float]
    /// Largest activation of one image, in floats: sizes the workspace.
    let maxActivation: Int

    public var inputSize: Int { spec.inputSize }
    public var featureDimension: Int { spec.headChannels }

    public convenience init(contentsOf url: URL) throws {
        try self.init(file: WeightsFile(contentsOf: url))
    }

    init(file: WeightsFile) throws {
        let spec = file.spec
        let folder = BatchNormFolder(file: file, epsilon: spec.batchNormEpsilon)
        stem = try folder.spatial(conv: "_conv_stem", bn: "_bn0", inChannels: 3, channels: spec.stemChannels,
                                  kernel: 3, stride: 2, dense: true)
        var size = SamePadding(input: spec.inputSize, kernel: 3, stride: 2).output
        var maxActivation = max(spec.inputSize * spec.inputSize * 3, size * size * spec.stemChannels)
        var blocks: [InvertedResidualBlock] = []
        var channels = spec.stemChannels
        for stage in spec.blocks {
            guard stage.inputChannels == channels else {
                throw ModelError.invalidSpec("block \(stage.text) expects \(stage.inputChannels) input channels, previous stage gives \(channels)")
            }
            for r in 0..<stage.repeats {
                let n = blocks.count
                let input = r == 0 ? stage.inputChannels : stage.outputChannels
                let mid = input * stage.expansion
                let stride = r == 0 ? stage.stride : 1
                let expand = stage.expansion == 1 ? nil :
                    try folder.pointwise(conv: "_blocks.\(n)._expand_conv", bn: "_blocks.\(n)._bn0", inChannels: input, outChannels: mid)
                let depthwise = try folder.spatial(conv: "_blocks.\(n)._depthwise_conv", bn: "_blocks.\(n)._bn1",
                                                   inChannels: mid, channels: mid, kernel: stage.kernel, stride: stride, dense: false)
                let project = try folder.pointwise(conv: "_blocks.\(n)._project_conv", bn: "_blocks.\(n)._bn2",
                                                   inChannels: mid, outChannels: stage.outputChannels)
                maxActivation = max(maxActivation, size * size * mid)
                size = SamePadding(input: size, kernel: stage.kernel, stride: stride).output
                maxActivation = max(maxActivation, size * size * mid)
                blocks.append(InvertedResidualBlock(expand: expand, depthwise: depthwise, project: project))
            }
            channels = stage.outputChannels
        }
        head = try folder.pointwise(conv: "_conv_head", bn: "_bn1", inChannels: channels, outChannels: spec.headChannels)
        maxActivation = max(maxActivation, size * size * spec.headChannels)
        classifierWeights = try file.tensor("_fc.weight", shape: [spec.classes, spec.headChannels])
        classifierBias = try file.tensor("_fc.bias", shape: [spec.classes])
        self.spec = spec
        self.blocks = blocks
        self.maxActivation = maxActivation
    }

    /// Scratch memory for forward passes of up to `batch` images. Not thread-safe: one per worker.
    /// A batch's activations are contiguous ([batch × pixels × channels]), so a 1×1 convolution is
    /// one GEMM over the whole batch. Unchecked Sendable: it may move between threads (the
    /// embedder's pool hands it out), but is used by one thread at a time.
    public final class Workspace: @unchecked Sendable {
        let batch: Int
        let capacity: Int
        fileprivate let buffers: [UnsafeMutablePointer<Float>]

        init(network: EfficientNetLite, batch: Int) {
            self.batch = batch
            capacity = network.maxActivation * batch
            buffers = (0..<3).map { _ in
                let p = UnsafeMutablePointer<Float>.allocate(capacity: network.maxActivation * batch)
                p.initialize(repeating: 0, count: network.maxActivation * batch)
                return p
            }
        }

        deinit { buffers.forEach { $0.deallocate() } }
    }

    public func makeWorkspace(batch: Int = 1) -> Workspace { Workspace(network: self, batch: max(1, batch)) }

    /// Runs the network on `inputs` (each inputSize² × 3 RGB bytes, row-major H, W, C). Returns the
    /// pooled head features (headChannels floats per image, ≥ 0) and, when asked, the logits.
    public func forward(_ inputs: [[UInt8]], workspace: Workspace, logits wantLogits: Bool = false) throws -> (features: [[Float]], logits: [[Float]]?) {
        let pixels = spec.inputSize * spec.inputSize
        guard !inputs.isEmpty, inputs.count <= workspace.batch, workspace.capacity >= maxActivation * inputs.count else {
            throw ModelError.invalidInput("batch of \(inputs.count) does not fit a workspace of \(workspace.batch)")
        }
        for input in inputs where input.count != pixels * 3 {
            throw ModelError.invalidInput("expected \(pixels * 3) bytes (\(spec.inputSize)×\(spec.inputSize)×3), got \(input.count)")
        }
        let batch = inputs.count
        var x = workspace.buffers[0], t1 = workspace.buffers[1], t2 = workspace.buffers[2]

        // Normalise (u8 − 127) / 128 into t1, then the stem into x.
        for (b, input) in inputs.enumerated() {
            let dst = t1 + b * pixels * 3
            input.withUnsafeBufferPointer { src in
                for i in 0..<(pixels * 3) { dst[i] = (Float(src[i]) - 127) / 128 }
            }
        }
        var size = spec.inputSize
        size = convolve(stem, input: t1, output: x, size: size, batch: batch)

        for block in blocks {
            let rows = size * size
            var depthwiseInput = x
            if let expand = block.expand {
                pointwise(expand, input: x, output: t1, rows: rows * batch, .relu6)
                depthwiseInput = t1
            }
            size = convolve(block.depthwise, input: depthwiseInput, output: t2, size: size, batch: batch)
            // Residual blocks have stride 1, so x still holds this block's input, same shape as the output.
            pointwise(block.project, input: t2, output: t1, rows: size * size * batch,
                      block.hasResidual ? .residual(UnsafePointer(x)) : .linear)
            swap(&x, &t1)
        }

        let rows = size * size
        pointwise(head, input: x, output: t1, rows: rows * batch, .relu6)
        var features = [[Float]]()
        features.reserveCapacity(batch)
        for b in 0..<batch {
            features.append([Float](unsafeUninitializedCapacity: head.outChannels) { buffer, count in
                Kernels.averagePool(t1 + b * rows * head.outChannels, rows: rows, channels: head.outChannels, into: buffer.baseAddress!)
                count = head.outChannels
            })
        }
        guard wantLogits else { return (features, nil) }
        return (features, features.map(classify))
    }

    /// The 1000 ImageNet logits of one pooled feature vector.
    public func classify(_ feature: [Float]) -> [Float] {
        precondition(feature.count == spec.headChannels)
        return (0..<spec.classes).map { c in
            var sum: Float = 0
            let row = c * spec.headChannels
            for i in 0..<spec.headChannels { sum += classifierWeights[row + i] * feature[i] }
            return sum + classifierBias[c]
        }
    }

    /// Runs a spatial layer image by image; returns the output size.
    private func convolve(_ layer: SpatialLayer, input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>,
                          size: Int, batch: Int) -> Int {
        let outSize = SamePadding(input: size, kernel: layer.kernel, stride: layer.stride).output
        layer.weights.withUnsafeBufferPointer { w in
            layer.bias.withUnsafeBufferPointer { bias in
                for b in 0..<batch {
                    let src = input + b * size * size * layer.inChannels
                    let dst = output + b * outSize * outSize * layer.channels
                    if layer.dense {
                        Kernels.dense(input: src, height: size, width: size, inChannels: layer.inChannels,
                                      output: dst, channels: layer.channels, weights: w.baseAddress!, bias: bias.baseAddress!,
                                      kernel: layer.kernel, stride: layer.stride)
                    } else {
                        Kernels.depthwise(input: src, height: size, width: size, channels: layer.channels,
                                          output: dst, weights: w.baseAddress!, bias: bias.baseAddress!,
                                          kernel: layer.kernel, stride: layer.stride)
                    }
                }
            }
        }
        return outSize
    }

    /// A 1×1 convolution over all `rows` pixels of the batch: the output starts as bias rows, one
    /// GEMM accumulates onto them (beta = 1: OpenBLAS's separate zeroing pass measured slower
    /// than filling the bias), then the activation or residual. Splitting the GEMM into
    /// cache-sized row blocks with the epilogue applied per block measured no faster.
    private func pointwise(_ layer: PointwiseLayer, input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>,
                           rows: Int, _ epilogue: Kernels.Epilogue) {
        layer.bias.withUnsafeBufferPointer { Kernels.fillRows(output, rows: rows, with: $0.baseAddress!, channels: layer.outChannels) }
        layer.weights.withUnsafeBufferPointer { w in
            BLAS.multiplyAccumulating(input, w.baseAddress!, into: output, m: rows, n: layer.outChannels, k: layer.inChannels)
        }
        Kernels.finish(output, count: rows * layer.outChannels, epilogue)
    }
}
