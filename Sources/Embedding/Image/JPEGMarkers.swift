/// What reco needs from a JPEG's header segments, read before decoding: the EXIF orientation
/// (APP1) and whether an Adobe APP14 segment says CMYK samples are stored inverted.
struct JPEGMarkers: Equatable {
    var orientation: Orientation = .up
    var adobe = false

    init(_ bytes: UnsafeRawBufferPointer) {
        var i = 2  // after SOI
        while i + 4 <= bytes.count, bytes[i] == 0xFF {
            let marker = bytes[i + 1]
            if marker == 0xFF {
                i += 1
                continue
            }  // fill byte
            if marker == 0xDA || marker == 0xD9 { break }  // scan data follows: no more headers
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            guard length >= 2, i + 2 + length <= bytes.count else { break }
            let segment = UnsafeRawBufferPointer(rebasing: bytes[(i + 4)..<(i + 2 + length)])
            if marker == 0xE1, let o = Self.exifOrientation(segment) { orientation = o }
            if marker == 0xEE, segment.starts(with: Array("Adobe".utf8)) { adobe = true }
            i += 2 + length
        }
    }

    /// Reads tag 0x0112 from IFD0 of an APP1 "Exif\0\0" segment; nil if absent or malformed.
    static func exifOrientation(_ segment: UnsafeRawBufferPointer) -> Orientation? {
        guard segment.starts(with: Array("Exif\0\0".utf8)) else { return nil }
        let tiff = UnsafeRawBufferPointer(rebasing: segment[6...])
        guard tiff.count >= 8 else { return nil }
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= tiff.count else { return nil }
            return little ? Int(tiff[at]) | Int(tiff[at + 1]) << 8 : Int(tiff[at]) << 8 | Int(tiff[at + 1])
        }
        func u32(_ at: Int) -> Int? {
            guard let a = u16(at), let b = u16(at + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for entry in 0..<count {
            let at = ifd + 2 + entry * 12
            guard let tag = u16(at), let type = u16(at + 2) else { return nil }
            if tag == 0x0112 {
                guard type == 3, let value = u16(at + 8) else { return nil }
                return Orientation(rawValue: value)
            }
        }
        return nil
    }
}

/// EXIF orientation: how the stored pixels must be turned to display upright.
enum Orientation: Int, Equatable {
    case up = 1
    case mirrored, down, downMirrored, transposed, rotatedClockwise, transversed, rotatedCounterClockwise

    var swapsAxes: Bool { rawValue >= 5 }

    func apply(to image: RGBImage) -> RGBImage {
        if self == .up { return image }
        let w = image.width
        let h = image.height
        let outW = swapsAxes ? h : w
        let outH = swapsAxes ? w : h
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for oy in 0..<outH {
                    for ox in 0..<outW {
                        let (ix, iy): (Int, Int)
                        switch self {
                        case .up: (ix, iy) = (ox, oy)
                        case .mirrored: (ix, iy) = (w - 1 - ox, oy)
                        case .down: (ix, iy) = (w - 1 - ox, h - 1 - oy)
                        case .downMirrored: (ix, iy) = (ox, h - 1 - oy)
                        case .transposed: (ix, iy) = (oy, ox)
                        case .rotatedClockwise: (ix, iy) = (oy, h - 1 - ox)
                        case .transversed: (ix, iy) = (w - 1 - oy, h - 1 - ox)
                        case .rotatedCounterClockwise: (ix, iy) = (w - 1 - oy, ox)
                        }
                        let s = (iy * w + ix) * 3
                        let d = (oy * outW + ox) * 3
                        dst[d] = src[s]
                        dst[d + 1] = src[s + 1]
                        dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return RGBImage(width: outW, height: outH, pixels: out)
    }
}
