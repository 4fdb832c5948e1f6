import CTurboJPEG

/// JPEG decoding through the TurboJPEG API: header checked against the pixel limit first, DCT-domain
/// downscaling when the caller allows it, CMYK/YCCK converted to RGB, EXIF orientation applied.
/// Warnings (such as a truncated file) are errors: a half-grey image must not become a vector.
enum JPEGDecoder {
    static func decode(_ bytes: UnsafeRawBufferPointer, options: DecodeOptions) throws(ImageError) -> RGBImage {
        guard let handle = tjInitDecompress() else { throw .corrupt("cannot initialise TurboJPEG") }
        defer { tjDestroy(handle) }
        let source = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let size = UInt(bytes.count)
        var width: Int32 = 0
        var height: Int32 = 0
        var subsampling: Int32 = 0
        var colorspace: Int32 = 0
        guard tjDecompressHeader3(handle, source, size, &width, &height, &subsampling, &colorspace) == 0 else {
            throw .corrupt(errorMessage(handle))
        }
        try options.check(width: Int(width), height: Int(height))
        let factor = scalingFactor(width: Int(width), height: Int(height), minimum: options.minimumSize)
        let outW = Int(reco_tj_scaled(width, factor))
        let outH = Int(reco_tj_scaled(height, factor))
        let cmyk = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        let format = cmyk ? TJPF_CMYK : TJPF_RGB
        var buffer = [UInt8](repeating: 0, count: outW * outH * (cmyk ? 4 : 3))
        let status = buffer.withUnsafeMutableBufferPointer {
            tjDecompress2(
                handle, source, size, $0.baseAddress, Int32(outW), 0, Int32(outH), Int32(format.rawValue),
                TJFLAG_STOPONWARNING)
        }
        guard status == 0 else { throw .corrupt(errorMessage(handle)) }
        let markers = JPEGMarkers(bytes)
        let rgb = cmyk ? cmykToRGB(buffer, inverted: markers.adobe) : buffer
        return markers.orientation.apply(to: RGBImage(width: outW, height: outH, pixels: rgb))
    }

    /// The strongest reduction of 1/2, 1/4 or 1/8 that keeps the image at least `minimum`, or 1/1.
    /// (libjpeg-turbo has SIMD IDCTs for those; its other N/8 factors are slower than no scaling.)
    static func scalingFactor(width: Int, height: Int, minimum: DecodeOptions.MinimumSize?) -> tjscalingfactor {
        let identity = tjscalingfactor(num: 1, denom: 1)
        guard let minimum else { return identity }
        var count: Int32 = 0
        guard let factors = tjGetScalingFactors(&count) else { return identity }
        var best = identity
        for f in UnsafeBufferPointer(start: factors, count: Int(count)) where f.num == 1 && f.denom > 1 {
            let w = Int(reco_tj_scaled(Int32(width), f))
            let h = Int(reco_tj_scaled(Int32(height), f))
            guard min(w, h) >= minimum.shortSide, max(w, h) >= minimum.longSide else { continue }
            if w < Int(reco_tj_scaled(Int32(width), best)) { best = f }
        }
        return best
    }

    /// Adobe applications store CMYK inverted (0 = full ink), which is what an APP14 marker signals.
    static func cmykToRGB(_ cmyk: [UInt8], inverted: Bool) -> [UInt8] {
        let pixels = cmyk.count / 4
        var rgb = [UInt8](repeating: 0, count: pixels * 3)
        for p in 0..<pixels {
            var c = Int(cmyk[4 * p])
            var m = Int(cmyk[4 * p + 1])
            var y = Int(cmyk[4 * p + 2])
            var k = Int(cmyk[4 * p + 3])
            if !inverted { (c, m, y, k) = (255 - c, 255 - m, 255 - y, 255 - k) }
            // Now 255 = no ink: channel = (1 − C)(1 − K).
            rgb[3 * p] = UInt8((c * k + 127) / 255)
            rgb[3 * p + 1] = UInt8((m * k + 127) / 255)
            rgb[3 * p + 2] = UInt8((y * k + 127) / 255)
        }
        return rgb
    }

    private static func errorMessage(_ handle: tjhandle) -> String {
        guard let message = tjGetErrorStr2(handle) else { return "unknown TurboJPEG error" }
        return String(cString: message)
    }
}
