import Foundation
import Synchronization
import Testing

@testable import Embedding

/// The whole pipeline (decode → resize → network) against the reference implementation's outputs.
@Suite struct PipelineTests {
    static let embedders = ResizeMode.allCases.reduce(into: [ResizeMode: Embedder]()) {
        $0[$1] = Embedder(network: Fixtures.network, resize: $1)
    }

    @Test(arguments: [
        (
            "chelsea.png", ResizeMode.squash, "chelsea_plain",
            "af5cb2be868c96c133dfc743993405898ddecaa6388c3f14601c385f94d89717"
        ),
        (
            "coffee.png", ResizeMode.crop, "coffee_crop",
            "1b5b9258e1d6525135155152d2d601179c28371711301ee15dfedf05aeb4e6cc"
        ),
    ])
    func photosMatchGoldenVectors(file: String, mode: ResizeMode, golden: String, inputSHA256: String) throws {
        let embedder = try #require(Self.embedders[mode])
        let input = try embedder.prepare(Fixtures.data(file))
        // Our resampler reproduces Pillow's antialiased bilinear resize to the bit.
        #expect(sha256Hex(input) == inputSHA256)
        // Split across threads (search by image), the resize and the network give the same bytes.
        #expect(sha256Hex(try embedder.prepare(Fixtures.data(file), threads: 3)) == inputSHA256)
        let embedding = try embedder.embed(Fixtures.data(file), logits: true)
        #expect(try embedder.embed(Fixtures.data(file), threads: 2).vector == embedding.vector)
        let features = try Fixtures.floats("\(golden).features.f32")
        let logits = try Fixtures.floats("\(golden).logits.f32")
        let c = cosine(embedding.feature, features)
        print(
            "\(golden): feature cosine \(c), max|diff| \(maxAbsDiff(embedding.feature, features)), logits max|diff| "
                + "\(maxAbsDiff(embedding.logits!, logits))"
        )
        #expect(c >= 0.98)
        #expect(maxAbsDiff(embedding.feature, features) <= 1e-4)
    }

    @Test func vectorsAreUnitLengthAndModelTagged() throws {
        let e = try Self.embedders[.squash]!.embed(Fixtures.data("chelsea_cat.jpg"))
        #expect(e.model == "efficientnet-lite0/57934424/squash224")
        #expect(e.vector.count == 1280)
        #expect(abs(e.vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
        #expect(e.vector.allSatisfy { $0 >= 0 })
        #expect(Self.embedders[.crop]!.modelIdentifier == "efficientnet-lite0/57934424/crop224")
    }

    @Test(arguments: [
        ("chelsea_cat.jpg", ResizeMode.squash, Set([281, 282, 285])),
        ("coffee_cup.jpg", ResizeMode.squash, Set([967, 968, 504])),
        // The squashed rocket photo reads as its launch tower ("drilling platform", 540) first;
        // centre-cropped, the rocket fills the frame.
        ("rocket.jpg", ResizeMode.crop, Set([657, 744, 812])),
    ])
    func photosClassifyAsExpected(file: String, mode: ResizeMode, expected: Set<Int>) throws {
        let e = try Self.embedders[mode]!.embed(Fixtures.data(file), logits: true)
        let top = topClasses(logits: e.logits!, k: 3)
        #expect(expected.contains(top[0].index), "\(file): \(top)")
        #expect(top[0].probability > 0.3)
    }

    @Test func samePhotoAsJPEGAndPNGIsNearlyTheSameVector() throws {
        let embedder = Self.embedders[.squash]!
        let jpeg = try embedder.embed(Fixtures.data("chelsea_cat.jpg")).vector
        let png = try embedder.embed(Fixtures.data("chelsea.png")).vector
        let other = try embedder.embed(Fixtures.data("coffee_cup.jpg")).vector
        #expect(cosine(jpeg, png) > 0.95)
        #expect(cosine(jpeg, other) < 0.6)
    }

    @Test func resultsAreDeterministicAcrossWorkers() throws {
        let embedder = Self.embedders[.squash]!
        let files = ["chelsea_cat.jpg", "coffee_cup.jpg", "rocket.jpg", "astronaut.jpg", "chelsea.png", "coffee.png"]
        let sources = try files.map { EmbeddingSource.data(try Fixtures.data($0)) }
        let serial = try files.map { try embedder.embed(Fixtures.data($0)).vector }
        for workers in [1, 2, 3] {
            let collected = Collected()
            embedder.embedAll(sources, workers: workers) { collected.put($0, $1) }
            for (i, vector) in serial.enumerated() {
                let parallel = try #require(try collected.get(i)?.get().vector)
                #expect(parallel == vector, "\(files[i]) with \(workers) workers")
            }
        }
        // Same call twice: bit-identical.
        #expect(try embedder.embed(Fixtures.data("rocket.jpg")).vector == serial[2])
    }

    @Test func aFailingImageDoesNotStopTheOthers() throws {
        let embedder = Self.embedders[.squash]!
        let sources: [EmbeddingSource] = [
            .data(try Fixtures.data("chelsea_cat.jpg")), .data(Data()), .file("/nonexistent.jpg"),
            .prepared([1, 2, 3]), .data(try Fixtures.data("bomb.png")), .prepared(Fixtures.syntheticGradient),
        ]
        let collected = Collected()
        embedder.embedAll(sources, workers: 2) { collected.put($0, $1) }
        #expect(collected.count == 6)
        #expect((try? collected.get(0)?.get()) != nil)
        #expect((try? collected.get(5)?.get()) != nil)
        let codes = (1...4).map { i -> String? in
            guard case .failure(let error)? = collected.get(i) else { return nil }
            return (error as? any CodedError)?.code
        }
        #expect(codes == ["empty", "unreadable", "invalid_input", "too_large"])
    }
}

/// Thread-safe collection of pipeline results by index.
final class Collected: Sendable {
    private let results = Synchronization.Mutex<[Int: Result<Embedding, any Error>]>([:])
    func put(_ i: Int, _ r: Result<Embedding, any Error>) { results.withLock { $0[i] = r } }
    func get(_ i: Int) -> Result<Embedding, any Error>? { results.withLock { $0[i] } }
    var count: Int { results.withLock { $0.count } }
}
