import Compute
import Foundation
import Testing

@testable import Embedding

/// The int8 variant: its vectors against the float32 ones, its kernel paths, and its calibration
/// file (measured by `reco calibrate` on the four fixture photos, shipped in models/).
@Suite struct Int8NetworkTests {
    static let calibrationPhotos = ["chelsea_cat.jpg", "coffee_cup.jpg", "rocket.jpg", "astronaut.jpg"]
    static let int8 = try! Fixtures.modelStore.load(precision: .int8)

    @Test func int8VectorsStayCloseToFloat32OnesAndCarryTheirOwnIdentifier() throws {
        let fp32 = Embedder(network: Fixtures.network)
        let int8 = Embedder(network: Self.int8)
        #expect(int8.modelIdentifier == fp32.modelIdentifier + "/int8")
        // The calibration photos, the same photos as PNG in other crops, and photos it never saw.
        for file in Self.calibrationPhotos + ["chelsea.png", "coffee.png", "astronaut_query.jpg", "orientation3.jpg"] {
            let c = cosine(try fp32.embed(Fixtures.data(file)).vector, try int8.embed(Fixtures.data(file)).vector)
            print("int8 against fp32, \(file): cosine \(c)")
            #expect(c >= 0.99, "\(file): \(c)")
        }
        // Not a photo at all (the synthetic gradient): still close. 0.9798 since the expanded and
        // depthwise bands are kept as codes, 6/255 apart (the photos' cosines did not move).
        let gradient = try cosine(
            Fixtures.network.forward(Fixtures.syntheticGradient, workspace: Fixtures.network.makeWorkspace()),
            Self.int8.forward(Fixtures.syntheticGradient, workspace: Self.int8.makeWorkspace()))
        #expect(gradient >= 0.975, "synthetic gradient: \(gradient)")
    }

    @Test(arguments: InstructionSet.allCases.filter(\.isSupported))
    func everyKernelPathGivesTheSameInt8Features(isa: InstructionSet) throws {
        // The sums are exact integers on every path, but the float layers around them round
        // differently without FMA (portable), and a value on a quantisation step's edge then lands
        // in the next step: close, not equal (0.99989 measured for portable against AVX-512).
        let calibration = try Int8Calibration.read(Fixtures.modelStore.calibrationURL(ModelStore.defaultModel))
        let net = try EfficientNetLite(
            contentsOf: Fixtures.modelStore.weightsURL(ModelStore.defaultModel), isa: isa, precision: .int8,
            calibration: calibration)
        let features = try net.forward(Fixtures.syntheticGradient, workspace: net.makeWorkspace())
        let reference = try Self.int8.forward(Fixtures.syntheticGradient, workspace: Self.int8.makeWorkspace())
        #expect(cosine(features, reference) >= 0.9998, "\(isa) (\(net.int8Kernel)): \(cosine(features, reference))")
        // Split across threads, the same bits.
        let split = try net.forward(Fixtures.syntheticGradient, workspaces: [net.makeWorkspace(), net.makeWorkspace()])
        #expect(split == features)
    }

    @Test func theShippedCalibrationIsWhatCalibrateMeasures() throws {
        let shipped = try Int8Calibration.read(Fixtures.modelStore.calibrationURL(ModelStore.defaultModel))
        let measured = try Calibrator.measure(
            network: Fixtures.network, photos: Self.calibrationPhotos.map { ($0, try Fixtures.data($0)) })
        #expect(measured.photos == shipped.photos)
        #expect(measured.weightsSHA256 == shipped.weightsSHA256)
        for (m, s) in zip(measured.blockOutputs.joined(), shipped.blockOutputs.joined()) {
            #expect(abs(m - s) <= 1e-3 * max(1, abs(s)))
        }
    }

    @Test func aCalibrationForOtherWeightsOrAnotherNetworkIsRefused() throws {
        let url = Fixtures.modelStore.weightsURL(ModelStore.defaultModel)
        let good = try Int8Calibration.read(Fixtures.modelStore.calibrationURL(ModelStore.defaultModel))
        let otherWeights = Int8Calibration(
            weightsSHA256: String(repeating: "0", count: 64), photos: good.photos, blockOutputs: good.blockOutputs)
        let fewerBlocks = Int8Calibration(
            weightsSHA256: good.weightsSHA256, photos: good.photos, blockOutputs: Array(good.blockOutputs.dropLast()))
        let upsideDown = Int8Calibration(
            weightsSHA256: good.weightsSHA256, photos: good.photos,
            blockOutputs: good.blockOutputs.map { [$0[1], $0[0]] })
        for bad in [otherWeights, fewerBlocks, upsideDown] {
            #expect {
                try EfficientNetLite(contentsOf: url, precision: .int8, calibration: bad)
            } throws: { error in
                guard case ModelError.invalidCalibration = error else { return false }
                return true
            }
        }
        #expect(throws: ModelError.self) { try EfficientNetLite(contentsOf: url, precision: .int8) }
        // A model folder without the file: a clear error naming it.
        let empty = ModelStore(directory: FileManager.default.temporaryDirectory)
        #expect {
            try empty.load(precision: .int8)
        } throws: { error in
            "\(error)".contains("int8.json")
        }
    }
}
