import Compute
import Foundation
import Testing

@testable import Embedding

@Suite struct NetworkTests {
    @Test func samePaddingMatchesTensorFlow() {
        #expect(SamePadding(input: 224, kernel: 3, stride: 2) == SamePadding(output: 112, before: 0))
        #expect(SamePadding(input: 112, kernel: 5, stride: 2) == SamePadding(output: 56, before: 1))
        #expect(SamePadding(input: 7, kernel: 5, stride: 1) == SamePadding(output: 7, before: 2))
        #expect(SamePadding(input: 15, kernel: 3, stride: 2) == SamePadding(output: 8, before: 1))
    }

    @Test func syntheticInputMatchesGoldenFeaturesAndLogits() throws {
        let net = Fixtures.network
        let (features, logits) = try net.forward(
            [Fixtures.syntheticGradient], workspace: net.makeWorkspace(), logits: true)
        let goldenFeatures = try Fixtures.floats("synthetic_gradient.features.f32")
        let goldenLogits = try Fixtures.floats("synthetic_gradient.logits.f32")
        #expect(features[0].count == 1280)
        let fd = maxAbsDiff(features[0], goldenFeatures)
        let ld = maxAbsDiff(logits![0], goldenLogits)
        print(
            "synthetic_gradient: features max|diff| \(fd), cosine \(cosine(features[0], goldenFeatures)); logits "
                + "max|diff| \(ld)"
        )
        #expect(fd <= 1e-4)
        #expect(ld <= 1e-4)
        #expect(cosine(features[0], goldenFeatures) >= 0.99999)
    }

    @Test func aReusedWorkspaceCarriesNothingOver() throws {
        // The fused bands keep expanded rows between bands; nothing may leak between images.
        let net = Fixtures.network
        let other = Fixtures.syntheticGradient.map { 255 - $0 }
        let fresh = try [Fixtures.syntheticGradient, other].map { try net.forward($0, workspace: net.makeWorkspace()) }
        let workspace = net.makeWorkspace()
        let reused = try net.forward([other, Fixtures.syntheticGradient, other], workspace: workspace).features
        #expect(reused[0] == fresh[1] && reused[1] == fresh[0] && reused[2] == fresh[1])
        #expect(cosine(fresh[0], fresh[1]) < 0.99)
    }

    @Test(arguments: [1, 20_000, 1 << 30])
    func bandSizeDoesNotChangeTheResult(budget: Int) throws {
        // 1: every band is one output row (most rows carried over between bands); 1 << 30: each
        // block runs as one band over the whole image.
        let file = try WeightsFile(contentsOf: Fixtures.modelStore.weightsURL(ModelStore.defaultModel))
        let net = try EfficientNetLite(file: file, isa: .selected(), bandBudget: budget)
        #expect(net.blocks.allSatisfy { budget == 1 ? $0.bandRows == 1 : true })
        #expect(budget < 1 << 30 || net.blocks.allSatisfy { $0.bandRows == $0.outputSize })
        let features = try net.forward(Fixtures.syntheticGradient, workspace: net.makeWorkspace())
        #expect(maxAbsDiff(features, try Fixtures.floats("synthetic_gradient.features.f32")) <= 1e-4)
    }

    /// Every kernel path this CPU runs (RECO_ISA=portable is what a machine without AVX2 takes).
    @Test(arguments: InstructionSet.allCases.filter(\.isSupported))
    func everyKernelPathMatchesTheGoldenFeatures(isa: InstructionSet) throws {
        let file = try WeightsFile(contentsOf: Fixtures.modelStore.weightsURL(ModelStore.defaultModel))
        let net = try EfficientNetLite(file: file, isa: isa)
        #expect(net.isa == isa)
        let features = try net.forward(Fixtures.syntheticGradient, workspace: net.makeWorkspace())
        let golden = try Fixtures.floats("synthetic_gradient.features.f32")
        #expect(maxAbsDiff(features, golden) <= 1e-4, "\(isa)")
        // The same with the portable path: the paths differ only in rounding (FMA or not).
        let portable = try EfficientNetLite(file: file, isa: .portable)
        let reference = try portable.forward(Fixtures.syntheticGradient, workspace: portable.makeWorkspace())
        #expect(maxAbsDiff(features, reference) <= 2e-5, "\(isa) against portable")
    }

    @Test(arguments: [2, 3, 7])
    func oneImageSplitAcrossThreadsGivesTheSameFeature(parts: Int) throws {
        let net = Fixtures.network
        let whole = try net.forward(Fixtures.syntheticGradient, workspace: net.makeWorkspace())
        let workspaces = (0..<parts).map { _ in net.makeWorkspace() }
        let split = try net.forward(Fixtures.syntheticGradient, workspaces: workspaces)
        // Each output is computed by the same operations in the same order, whatever the split.
        #expect(split == whole)
        let other = Fixtures.syntheticGradient.map { 255 - $0 }
        #expect(try net.forward(other, workspaces: workspaces) == net.forward(other, workspace: net.makeWorkspace()))
    }

    @Test func wrongInputSizeIsRefused() throws {
        let net = Fixtures.network
        #expect(throws: ModelError.self) {
            try net.forward([[UInt8](repeating: 0, count: 10)], workspace: net.makeWorkspace())
        }
    }

    @Test func blockTableParses() throws {
        let b = try BlockSpec(parsing: "r2_k5_s2_e6_i24_o40")
        #expect(b == BlockSpec(repeats: 2, kernel: 5, stride: 2, expansion: 6, inputChannels: 24, outputChannels: 40))
        #expect(b.text == "r2_k5_s2_e6_i24_o40")
        #expect(throws: ModelError.self) { try BlockSpec(parsing: "r2_k4_s2_e6_i24_o40") }
        #expect(throws: ModelError.self) { try BlockSpec(parsing: "r2_k5_s2_e6_i24") }
    }
}
