import Foundation
import MultipartKit
import NIOCore

/// The photo of a search request: the raw body (image/jpeg, image/png) or the file field of a
/// `multipart/form-data` form (what a browser's upload form sends).
enum UploadedImage {
    enum Refusal: Error {
        case unsupportedType(String)
        case badForm(String)
    }

    static let bodyTypes = ["image/jpeg", "image/png"]

    /// Why a body of `contentType` cannot hold a photo, or nil if it can.
    static func refusal(contentType: String) -> Refusal? {
        let type = contentType.lowercased()
        if bodyTypes.contains(where: type.hasPrefix) { return nil }
        guard type.hasPrefix("multipart/form-data") else {
            return .unsupportedType(
                "send the photo as the body with Content-Type image/jpeg or image/png, or as a multipart/form-data "
                    + "file field; not '\(contentType)'"
            )
        }
        return boundary(of: contentType) == nil ? .badForm("the multipart/form-data Content-Type has no boundary") : nil
    }

    /// The image bytes from a body of `contentType` (which `refusal(contentType:)` accepted).
    static func extract(body: ByteBuffer, contentType: String) throws(Refusal) -> Data {
        if let refusal = refusal(contentType: contentType) { throw refusal }
        if bodyTypes.contains(where: contentType.lowercased().hasPrefix) { return Data(buffer: body) }
        guard let boundary = boundary(of: contentType) else {
            throw .badForm("the multipart/form-data Content-Type has no boundary")
        }
        let part = try filePart(body: body, boundary: boundary)
        if let partType = part.headers.first(name: "Content-Type")?.lowercased(),
            partType.hasPrefix("image/"), !bodyTypes.contains(where: partType.hasPrefix)
        {
            throw .unsupportedType("the uploaded file is \(partType); JPEG and PNG are supported")
        }
        return Data(buffer: part.body)
    }

    /// The first part that carries a file name, else the one named `image` or `file`.
    private static func filePart(body: ByteBuffer, boundary: String) throws(Refusal) -> MultipartPart {
        // multipart-kit 4.7.1 indexes a 128-entry table with each header-name byte and traps on
        // bytes ≥ 0x80 (found by schemathesis): such forms are refused before the parser sees them.
        guard headerNamesAreASCII(Data(buffer: body), boundary: Data("--\(boundary)".utf8)) else {
            throw .badForm("a part's header name is not ASCII")
        }
        let parser = MultipartParser(boundary: boundary)
        var parts: [MultipartPart] = []
        var headers = HTTPHeaders()
        var data = ByteBuffer()
        parser.onHeader = { headers.add(name: $0, value: $1) }
        parser.onBody = { data.writeBuffer(&$0) }
        parser.onPartComplete = {
            parts.append(MultipartPart(headers: headers, body: data))
            headers = HTTPHeaders()
            data = ByteBuffer()
        }
        do { try parser.execute(body) } catch {
            throw .badForm("the multipart/form-data body cannot be parsed: \(error)")
        }
        let named =
            parts.first { $0.headers.first(name: "Content-Disposition")?.contains("filename=") == true }
            ?? parts.first { ["image", "file"].contains($0.name ?? "") }
        guard let part = named else {
            throw .badForm("the form has no file field (send the photo as a field named 'image')")
        }
        guard part.body.readableBytes > 0 else { throw .badForm("the uploaded file is empty (was a file chosen?)") }
        return part
    }

    /// Whether every header name in every part (the text before `:` on the lines between a boundary
    /// line and the blank line after it) is ASCII.
    static func headerNamesAreASCII(_ body: Data, boundary: Data) -> Bool {
        let crlf = Data([13, 10])
        var i = body.startIndex
        while let found = body.range(of: boundary, in: i..<body.endIndex) {
            // The rest of the boundary line, then header lines up to an empty one.
            guard var line = body.range(of: crlf, in: found.upperBound..<body.endIndex)?.upperBound else { return true }
            while let end = body.range(of: crlf, in: line..<body.endIndex)?.lowerBound, end > line {
                let name = body[line..<end].prefix { $0 != UInt8(ascii: ":") }
                if name.contains(where: { $0 >= 0x80 }) { return false }
                line = end + 2
            }
            i = line
        }
        return true
    }

    private static func boundary(of contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }
}
