/// How a photo becomes the network's square input.
public enum ResizeMode: String, Sendable, CaseIterable, Codable {
    /// The whole image to size×size, aspect ratio not kept (the original tutorial's way).
    case squash
    /// The centred square of side ⌊7·min(w,h)/8⌋, resized.
    case crop
    /// The whole image, aspect kept, letterboxed on white.
    case pad
}

/// Turns a decoded image into the network input: size×size×3 RGB bytes.
public struct Preprocessor: Sendable, Equatable {
    public let size: Int
    public let mode: ResizeMode

    public init(size: Int, mode: ResizeMode) {
        self.size = size
        self.mode = mode
    }

    /// How small a JPEG may be decoded (DCT-domain scaling): at least twice the source pixels the
    /// resize needs, so scaling only kicks in for images much larger than the network input and
    /// the antialiased resize still does the final reduction. (With a margin of 1, 640-px photos
    /// decode at 1/2: no measurable speed gain, vector cosine to a full decode 0.999 median,
    /// 0.990 worst; docs/BENCHMARKS.md.)
    public var minimumDecodeSize: DecodeOptions.MinimumSize {
        let margin = 2
        switch mode {
        case .squash: return DecodeOptions.MinimumSize(shortSide: margin * size, longSide: margin * size)
        case .crop: return DecodeOptions.MinimumSize(shortSide: margin * (8 * size + 6) / 7, longSide: 0)
        case .pad: return DecodeOptions.MinimumSize(shortSide: 0, longSide: margin * size)
        }
    }

    /// - threads: how many threads the resize's passes are split across (one image's latency).
    public func callAsFunction(_ image: RGBImage, threads: Int = 1) -> [UInt8] {
        let w = image.width
        let h = image.height
        switch mode {
        case .squash:
            return Resampler.resize(
                image, region: .init(x: 0, y: 0, width: w, height: h), outWidth: size, outHeight: size, threads: threads
            )
        case .crop:
            let side = max(1, (7 * min(w, h)) / 8)
            let region = Resampler.Region(x: (w - side) / 2, y: (h - side) / 2, width: side, height: side)
            return Resampler.resize(image, region: region, outWidth: size, outHeight: size, threads: threads)
        case .pad:
            let scaledW = w >= h ? size : max(1, (w * size + h / 2) / h)
            let scaledH = h >= w ? size : max(1, (h * size + w / 2) / w)
            let resized = Resampler.resize(
                image, region: .init(x: 0, y: 0, width: w, height: h), outWidth: scaledW, outHeight: scaledH,
                threads: threads)
            var out = [UInt8](repeating: 255, count: size * size * 3)
            let x0 = (size - scaledW) / 2
            let y0 = (size - scaledH) / 2
            for y in 0..<scaledH {
                let dst = ((y0 + y) * size + x0) * 3
                out.replaceSubrange(
                    dst..<(dst + scaledW * 3), with: resized[(y * scaledW * 3)..<((y + 1) * scaledW * 3)])
            }
            return out
        }
    }
}
