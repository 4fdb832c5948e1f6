import Foundation
import Testing

@testable import Embedding

/// Colour of the pixel at (x, y) of a decoded image.
private func pixel(_ image: RGBImage, _ x: Int, _ y: Int) -> (Int, Int, Int) {
    let i = (y * image.width + x) * 3
    return (Int(image.pixels[i]), Int(image.pixels[i + 1]), Int(image.pixels[i + 2]))
}

private func near(_ a: (Int, Int, Int), _ b: (Int, Int, Int), tolerance: Int = 24) -> Bool {
    abs(a.0 - b.0) <= tolerance && abs(a.1 - b.1) <= tolerance && abs(a.2 - b.2) <= tolerance
}

/// The fixtures' upright picture: red, green / blue, white quadrants, 48×32.
private func expectQuadrants(
    _ image: RGBImage, _ label: String, bottomHalf: ((Int, Int, Int), (Int, Int, Int)) = ((0, 0, 255), (255, 255, 255))
) {
    #expect(image.width == 48 && image.height == 32, "\(label): \(image.width)×\(image.height)")
    #expect(near(pixel(image, 8, 8), (255, 0, 0)), "\(label) top-left \(pixel(image, 8, 8))")
    #expect(near(pixel(image, 40, 8), (0, 255, 0)), "\(label) top-right \(pixel(image, 40, 8))")
    #expect(near(pixel(image, 8, 24), bottomHalf.0), "\(label) bottom-left \(pixel(image, 8, 24))")
    #expect(near(pixel(image, 40, 24), bottomHalf.1), "\(label) bottom-right \(pixel(image, 40, 24))")
}

@Suite struct ImageDecodingTests {
    @Test(arguments: 1...8)
    func exifOrientationIsHonoured(_ orientation: Int) throws {
        let image = try ImageDecoder.decode(Fixtures.data("orientation\(orientation).jpg"))
        expectQuadrants(image, "orientation \(orientation)")
    }

    @Test(arguments: ["cmyk.jpg", "quadrants.png", "palette.png", "rgb16.png"])
    func colourFormatsDecodeToRGB(_ name: String) throws {
        expectQuadrants(try ImageDecoder.decode(Fixtures.data(name)), name)
    }

    @Test(arguments: ["grey.jpg", "grey.png"])
    func greyscaleDecodesToRGB(_ name: String) throws {
        let image = try ImageDecoder.decode(Fixtures.data(name))
        #expect(image.width == 48 && image.height == 32)
        let (r, g, b) = pixel(image, 8, 8)
        #expect(r == g && g == b && abs(r - 76) <= 8, "red as grey is ~76 (ITU-R 601 luma), got \(r)")
    }

    @Test func alphaIsCompositedOnWhite() throws {
        let image = try ImageDecoder.decode(Fixtures.data("rgba.png"))
        expectQuadrants(image, "rgba", bottomHalf: ((255, 255, 255), (255, 255, 255)))
    }

    @Test func pngDecodeMatchesReferenceBytes() throws {
        // The manifest's sha256 of Pillow's decode of chelsea.png.
        let image = try ImageDecoder.decode(Fixtures.data("chelsea.png"))
        #expect(image.width == 451 && image.height == 300)
        #expect(sha256Hex(image.pixels) == "416b729128bfb2c3d1eb69bf9b1734a796293abc17939267b2dc94f8a5784031")
    }

    @Test func emptyFileIsRefused() {
        #expect(throws: ImageError.empty) { try ImageDecoder.decode(Data()) }
    }

    @Test func nonImagesAreRefused() {
        #expect(throws: ImageError.notAnImage) { try ImageDecoder.decode(Data("id,title\n1,shoe\n".utf8)) }
        #expect(throws: ImageError.notAnImage) { try ImageDecoder.decode(Data([0xFF, 0xD8])) }
    }

    @Test func otherFormatsAreNamed() throws {
        #expect(throws: ImageError.unsupportedFormat("GIF")) { try ImageDecoder.decode(Fixtures.data("quadrants.gif")) }
        #expect(throws: ImageError.unsupportedFormat("WebP")) {
            try ImageDecoder.decode(Data("RIFF\0\0\0\0WEBPVP8 ".utf8))
        }
    }

    @Test(arguments: ["chelsea_cat.jpg", "chelsea.png"])
    func truncatedFilesAreCorrupt(_ name: String) throws {
        let whole = try Fixtures.data(name)
        for fraction in [0.05, 0.5, 0.95] {
            let cut = whole.prefix(Int(Double(whole.count) * fraction))
            let error = decodeError(Data(cut))
            #expect(error?.code == "corrupt", "\(name) cut at \(fraction): \(String(describing: error))")
        }
    }

    @Test func garbageScanDataIsCorrupt() throws {
        var bytes = [UInt8](try Fixtures.data("chelsea_cat.jpg"))
        // Overwrite the middle of the entropy-coded data with marker-like junk.
        for i in stride(from: bytes.count / 2, to: bytes.count / 2 + 400, by: 2) {
            bytes[i] = 0xFF
            bytes[i + 1] = 0xD0 + UInt8(i % 3)
        }
        let error = decodeError(Data(bytes))
        #expect(error?.code == "corrupt", "\(String(describing: error))")
    }

    @Test func decompressionBombsAreRefusedFromTheHeader() throws {
        #expect(throws: ImageError.tooLarge(width: 100_000, height: 100_000, limit: 64_000_000)) {
            try ImageDecoder.decode(Fixtures.data("bomb.png"))
        }
        // A JPEG whose frame header claims 60000×60000 (the SOF0 height/width fields patched).
        var jpeg = [UInt8](try Fixtures.data("chelsea_cat.jpg"))
        let sof = try #require((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        jpeg.replaceSubrange((sof + 5)..<(sof + 9), with: [0xEA, 0x60, 0xEA, 0x60])
        #expect(throws: ImageError.tooLarge(width: 60_000, height: 60_000, limit: 64_000_000)) {
            try ImageDecoder.decode(Data(jpeg))
        }
        // The limit is configurable.
        #expect(throws: ImageError.tooLarge(width: 451, height: 300, limit: 100_000)) {
            try ImageDecoder.decode(Fixtures.data("chelsea_cat.jpg"), options: DecodeOptions(maxPixels: 100_000))
        }
    }

    @Test func unreadableFileIsReported() {
        #expect(throws: ImageError.self) { try ImageDecoder.decode(contentsOf: "/nonexistent/reco/image.jpg") }
    }

    @Test func dctScalingKeepsTheRequestedMinimum() throws {
        let minimum = DecodeOptions.MinimumSize(shortSide: 224, longSide: 224)
        let f = JPEGDecoder.scalingFactor(width: 1920, height: 1080, minimum: minimum)
        #expect(f.num == 1 && f.denom == 4)  // 480×270; 1/8 would be 240×135
        let none = JPEGDecoder.scalingFactor(width: 451, height: 300, minimum: minimum)
        #expect(none.num == 1 && none.denom == 1)
        let image = try ImageDecoder.decode(
            Fixtures.data("rocket.jpg"), options: DecodeOptions(minimumSize: .init(shortSide: 200, longSide: 200)))
        #expect(image.width == 320 && image.height == 214)  // 640×427 at 1/2
    }
}

private func decodeError(_ data: Data) -> ImageError? {
    do {
        _ = try ImageDecoder.decode(data)
        return nil
    } catch {
        return error
    }
}
