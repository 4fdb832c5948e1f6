/// Limits and hints for decoding one image.
public struct DecodeOptions: Sendable, Equatable {
    /// Refuse images with more pixels than this, from the header, before decoding (decompression
    /// bombs). Pillow's default warning limit is 89 M; 64 M pixels is a 8000×8000 photo.
    public var maxPixels: Int = 64_000_000
    /// The decoder may shrink a JPEG in the DCT domain (1/2, 1/4, 1/8…) as long as the result
    /// keeps at least this size; nil decodes at full size.
    public var minimumSize: MinimumSize? = nil

    public struct MinimumSize: Sendable, Equatable {
        public var shortSide: Int
        public var longSide: Int
        public init(shortSide: Int, longSide: Int) {
            self.shortSide = shortSide
            self.longSide = longSide
        }
    }

    public init(maxPixels: Int = 64_000_000, minimumSize: MinimumSize? = nil) {
        self.maxPixels = maxPixels
        self.minimumSize = minimumSize
    }

    func check(width: Int, height: Int) throws(ImageError) {
        guard width > 0, height > 0 else { throw .corrupt("image has no pixels (\(width)×\(height))") }
        guard width.multipliedReportingOverflow(by: height).partialValue <= maxPixels,
            width <= maxPixels, height <= maxPixels
        else {
            throw .tooLarge(width: width, height: height, limit: maxPixels)
        }
    }
}
