import Compute
import Foundation

/// EfficientNet-Lite forward pass (no squeeze-excite, ReLU6, TF-SAME padding), built from a
/// `ModelSpec` and a converted weights file. Immutable after load, so one instance serves every
/// thread; per-call memory lives in a `Workspace`.
///
/// Each inverted-residual block runs fused, in bands of output rows: the 1×1 expansion of just
/// the input rows the band needs (rows shared with the previous band are kept, not recomputed),
/// the depthwise convolution of the band, and the 1×1 projection of the band straight into the
/// block's output. The expanded tensor (up to 6× the block's channels) thus never leaves the cache.
/// The int8 network keeps both bands as one-byte ReLU6 codes (`Activations`).
public final class EfficientNetLite: Sendable {
    public let spec: ModelSpec
    /// The kernels' instruction-set path; the 1×1 weights are packed for it.
    public let isa: InstructionSet
    public let precision: Precision
    let stem: StemLayer
    let blocks: [InvertedResidualBlock]
    let head: PointwiseLayer
    let classifierWeights: [Float]  // [classes × head]
    let classifierBias: [Float]
    /// Scratch sizes in floats: the largest whole activation between blocks, the largest band of
    /// expanded rows, the largest band of depthwise output.
    let maxActivation: Int
    let maxExpandedBand: Int
    let maxDepthwiseBand: Int
    /// Target size of a band of expanded rows: small enough to stay in L2 with its neighbours.
    static let bandBudgetFloats = 128 * 1024

    public var inputSize: Int { spec.inputSize }
    /// The int8 kernel the 1×1 convolutions run on this path ("avx512-vnni", "avx2-madd", "portable").
    public var int8Kernel: String { PackedInt8Matrix.kernel(isa) }
    public var featureDimension: Int { spec.headChannels }

    /// - isa: the kernels' path; by default `RECO_ISA` or the best this CPU has.
    /// - calibration: for `.int8`, the activation ranges (checked against these weights).
    public convenience init(
        contentsOf url: URL, isa: InstructionSet? = nil, precision: Precision = .fp32,
        calibration: Int8Calibration? = nil
    ) throws {
        try self.init(
            file: WeightsFile(contentsOf: url), isa: isa ?? InstructionSet.selected(), precision: precision,
            calibration: calibration)
    }

    init(
        file: WeightsFile, isa: InstructionSet, precision: Precision = .fp32, calibration: Int8Calibration? = nil,
        bandBudget: Int = EfficientNetLite.bandBudgetFloats
    ) throws {
        let spec = file.spec
        self.isa = isa
        self.precision = precision
        let blockCount = spec.blocks.reduce(0) { $0 + $1.repeats }
        // int8: each 1×1 convolution's input range. Projections read ReLU6 outputs; expansions and
        // the head read the previous block's output, whose range the calibration measured.
        var ranges: [QuantizedInput]? = nil
        if precision == .int8 {
            guard let calibration else {
                throw ModelError.invalidCalibration("an int8 network needs its calibration file")
            }
            try calibration.check(against: spec, blocks: blockCount)
            ranges = calibration.blockOutputs.map { QuantizedInput(low: $0[0], high: $0[1]) }
        }
        let folder = BatchNormFolder(file: file, epsilon: spec.batchNormEpsilon, isa: isa)
        stem = try StemLayer(
            folder.spatial(
                conv: "_conv_stem", bn: "_bn0", inChannels: 3, channels: spec.stemChannels,
                kernel: 3, stride: 2, dense: true),
            inputSize: spec.inputSize, isa: isa)
        var size = stem.outputSize
        var maxActivation = size * size * spec.stemChannels
        var maxExpandedBand = stem.patchBandFloats  // the stem's patches use the expanded band's buffer
        var maxDepthwiseBand = 0
        var blocks: [InvertedResidualBlock] = []
        var channels = spec.stemChannels
        for stage in spec.blocks {
            guard stage.inputChannels == channels else {
                throw ModelError.invalidSpec(
                    "block \(stage.text) expects \(stage.inputChannels) input channels, previous stage gives "
                        + "\(channels)"
                )
            }
            for r in 0..<stage.repeats {
                let n = blocks.count
                let input = r == 0 ? stage.inputChannels : stage.outputChannels
                let mid = input * stage.expansion
                let stride = r == 0 ? stage.stride : 1
                let expand =
                    stage.expansion == 1
                    ? nil
                    : try folder.pointwise(
                        conv: "_blocks.\(n)._expand_conv", bn: "_blocks.\(n)._bn0", inChannels: input, outChannels: mid,
                        int8: n > 0 ? ranges?[n - 1] : nil)
                let depthwise = try folder.spatial(
                    conv: "_blocks.\(n)._depthwise_conv", bn: "_blocks.\(n)._bn1",
                    inChannels: mid, channels: mid, kernel: stage.kernel, stride: stride, dense: false)
                let project = try folder.pointwise(
                    conv: "_blocks.\(n)._project_conv", bn: "_blocks.\(n)._bn2",
                    inChannels: mid, outChannels: stage.outputChannels, int8: ranges == nil ? nil : .relu6)
                let block = InvertedResidualBlock(
                    expand: expand, depthwise: depthwise, project: project, inputSize: size,
                    bandBudget: bandBudget)
                maxExpandedBand = max(maxExpandedBand, block.expandedBandFloats)
                maxDepthwiseBand = max(maxDepthwiseBand, block.depthwiseBandFloats)
                size = block.outputSize
                maxActivation = max(maxActivation, size * size * stage.outputChannels)
                blocks.append(block)
            }
            channels = stage.outputChannels
        }
        head = try folder.pointwise(
            conv: "_conv_head", bn: "_bn1", inChannels: channels, outChannels: spec.headChannels,
            int8: ranges?.last)
        maxActivation = max(maxActivation, size * size * spec.headChannels)
        classifierWeights = try file.tensor("_fc.weight", shape: [spec.classes, spec.headChannels])
        classifierBias = try file.tensor("_fc.bias", shape: [spec.classes])
        self.spec = spec
        self.blocks = blocks
        self.maxActivation = maxActivation
        self.maxExpandedBand = maxExpandedBand
        self.maxDepthwiseBand = maxDepthwiseBand
    }

    /// Scratch memory for forward passes. Not thread-safe: one per worker. Unchecked Sendable: it
    /// may move between threads (the embedder's pool hands it out), but is used by one at a time.
    public final class Workspace: @unchecked Sendable {
        fileprivate let a, b: UnsafeMutableBufferPointer<Float>
        /// The bands: floats, or in the int8 network ReLU6 codes (`Activations`); sized for floats.
        fileprivate let expanded, depthwise: UnsafeMutableRawBufferPointer

        init(network: EfficientNetLite) {
            func buffer(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
                let p = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(count, 1))
                p.initialize(repeating: 0)
                return p
            }
            func band(_ floats: Int) -> UnsafeMutableRawBufferPointer {
                let p = UnsafeMutableRawBufferPointer.allocate(
                    byteCount: max(floats, 1) * MemoryLayout<Float>.size, alignment: 64)
                p.initializeMemory(as: UInt8.self, repeating: 0)
                return p
            }
            a = buffer(network.maxActivation)
            b = buffer(network.maxActivation)
            expanded = band(network.maxExpandedBand)
            depthwise = band(network.maxDepthwiseBand)
        }

        deinit {
            for buffer in [a, b] { buffer.deallocate() }
            for buffer in [expanded, depthwise] { buffer.deallocate() }
        }

        /// A band buffer as floats, or as codes.
        fileprivate func activations(_ buffer: UnsafeMutableRawBufferPointer, codes: Bool) -> Activations {
            codes
                ? .codes(buffer.bindMemory(to: UInt8.self).baseAddress!)
                : .floats(buffer.bindMemory(to: Float.self).baseAddress!)
        }
    }

    public func makeWorkspace() -> Workspace { Workspace(network: self) }

    /// Runs the network on each input (inputSize² × 3 RGB bytes, row-major H, W, C). Returns the
    /// pooled head features (headChannels floats per image, ≥ 0) and, when asked, the logits.
    public func forward(_ inputs: [[UInt8]], workspace: Workspace, logits wantLogits: Bool = false) throws -> (
        features: [[Float]], logits: [[Float]]?
    ) {
        let features = try inputs.map { try forward($0, workspace: workspace) }
        return (features, wantLogits ? features.map(classify) : nil)
    }

    /// The pooled head feature of one image.
    public func forward(_ input: [UInt8], workspace: Workspace) throws -> [Float] {
        try forward(input, workspaces: [workspace])
    }

    /// The pooled head feature of one image, its work split across one thread per workspace: each
    /// layer's output rows are divided among them (the fused bands of a block run per part), with a
    /// join after each layer. For interactive callers, where one image's latency matters; batch jobs
    /// run one image per worker instead, which has no joins. The result does not depend on the split.
    public func forward(_ input: [UInt8], workspaces: [Workspace]) throws -> [Float] {
        try forward(input, workspaces: workspaces, blockOutput: nil)
    }

    /// The lowest and highest value of each block's output for one input (what `reco calibrate`
    /// measures for the int8 variant).
    public func blockOutputRanges(_ input: [UInt8], workspace: Workspace) throws -> [(low: Float, high: Float)] {
        var ranges: [(low: Float, high: Float)] = []
        _ = try forward(input, workspaces: [workspace]) { values in
            ranges.append((values.min() ?? 0, values.max() ?? 0))
        }
        return ranges
    }

    private func forward(
        _ input: [UInt8], workspaces: [Workspace], blockOutput: ((UnsafeBufferPointer<Float>) -> Void)?
    ) throws -> [Float] {
        precondition(!workspaces.isEmpty, "a forward pass needs a workspace")
        let count = spec.inputSize * spec.inputSize * 3
        guard input.count == count else {
            throw ModelError.invalidInput(
                "expected \(count) bytes (\(spec.inputSize)×\(spec.inputSize)×3), got \(input.count)")
        }
        // The activations live in the first workspace; every part reads and writes them there.
        var x = workspaces[0].a.baseAddress!
        var y = workspaces[0].b.baseAddress!
        let parts = workspaces.count
        var size = stem.outputSize
        // The stem into x, its patches normalised from the input bytes.
        input.withUnsafeBufferPointer { bytes in
            nonisolated(unsafe) let bytes = bytes.baseAddress!
            ForkJoin.shared.split(0..<size, parts: parts) { part, rows in
                let patches = workspaces[part].expanded.bindMemory(to: Float.self).baseAddress!
                convolve(stem, input: bytes, output: x, rows: rows, patches: patches)
            }
        }
        for block in blocks {
            ForkJoin.shared.split(0..<block.outputSize, parts: parts) { part, rows in
                run(block, input: x, output: y, outputRows: rows, workspace: workspaces[part])
            }
            size = block.outputSize
            blockOutput?(UnsafeBufferPointer(start: y, count: size * size * block.project.outChannels))
            swap(&x, &y)
        }
        let rows = size * size
        ForkJoin.shared.split(0..<rows, parts: parts) { _, pixels in
            NetworkKernels.pointwise(
                head, input: .floats(x + pixels.lowerBound * head.inChannels), rows: pixels.count,
                output: .floats(y + pixels.lowerBound * head.outChannels), .relu6)
        }
        return [Float](unsafeUninitializedCapacity: head.outChannels) { buffer, initialized in
            Kernels.averagePool(y, rows: rows, channels: head.outChannels, into: buffer.baseAddress!)
            initialized = head.outChannels
        }
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

    /// Output rows `outputRows` of one inverted-residual block, band by band (see the type's comment).
    private func run(
        _ block: InvertedResidualBlock, input x: UnsafeMutablePointer<Float>, output y: UnsafeMutablePointer<Float>,
        outputRows: Range<Int>, workspace: Workspace
    ) {
        let dw = block.depthwise
        let size = block.inputSize
        let outSize = block.outputSize
        let inChannels = block.expand?.inChannels ?? dw.channels
        let pad = SamePadding(input: size, kernel: dw.kernel, stride: dw.stride)
        let expanded = workspace.activations(workspace.expanded, codes: block.keepsCodes)
        let dwOut = workspace.activations(workspace.depthwise, codes: block.keepsCodes)
        let row = size * dw.channels  // values in one expanded row
        var held = 0..<0  // input rows whose expansion is in `expanded`, from its start
        var oy0 = outputRows.lowerBound
        while oy0 < outputRows.upperBound {
            let oy1 = min(outputRows.upperBound, oy0 + block.bandRows)
            let needed =
                max(0, oy0 * dw.stride - pad.before)..<min(size, (oy1 - 1) * dw.stride - pad.before + dw.kernel)
            let rows: Activations
            if let expand = block.expand {
                // Keep the rows this band shares with the last one, expand only the new ones.
                if needed.lowerBound < held.upperBound {
                    let keep = needed.lowerBound..<held.upperBound
                    expanded.move(from: (keep.lowerBound - held.lowerBound) * row, count: keep.count * row)
                    held = keep
                } else {
                    held = needed.lowerBound..<needed.lowerBound
                }
                let fresh = held.upperBound..<needed.upperBound
                if !fresh.isEmpty {
                    NetworkKernels.pointwise(
                        expand, input: .floats(x + fresh.lowerBound * size * inChannels), rows: fresh.count * size,
                        output: expanded.advanced(by: held.count * row), .relu6)
                }
                held = needed.lowerBound..<needed.upperBound
                rows = expanded
            } else {
                rows = .floats(x + needed.lowerBound * row)
            }
            NetworkKernels.depthwise(
                dw, input: rows, firstRow: needed.lowerBound, size: size, outputRows: oy0..<oy1, output: dwOut, isa: isa
            )
            let out = oy0 * outSize * block.project.outChannels
            // A residual block has stride 1 and equal channels: output pixel i adds input pixel i.
            NetworkKernels.pointwise(
                block.project, input: dwOut, rows: (oy1 - oy0) * outSize, output: .floats(y + out),
                block.hasResidual ? .residual(UnsafePointer(x + out)) : .linear)
            oy0 = oy1
        }
    }

    /// Output rows `rows` of the stem, band by band: each band's patches, then one 1×1 convolution
    /// over them.
    private func convolve(
        _ stem: StemLayer, input: UnsafePointer<UInt8>, output: UnsafeMutablePointer<Float>,
        rows: Range<Int>, patches: UnsafeMutablePointer<Float>
    ) {
        let size = stem.outputSize
        for oy0 in stride(from: rows.lowerBound, to: rows.upperBound, by: stem.bandRows) {
            let band = oy0..<min(rows.upperBound, oy0 + stem.bandRows)
            NetworkKernels.stemPatches(stem, input: input, outputRows: band, into: patches)
            NetworkKernels.pointwise(
                stem.conv, input: .floats(patches), rows: band.count * size,
                output: .floats(output + oy0 * size * stem.conv.outChannels), .relu6)
        }
    }
}
