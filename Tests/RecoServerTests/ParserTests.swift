import Foundation
import NIOCore
import Ranking
import Testing

@testable import RecoServer

/// The pure parsers of the service, without HTTP.
@Suite struct SimilarParametersTests {
    func parse(_ query: [(String, String)]) throws(SimilarParameters.Invalid) -> SimilarParameters {
        try SimilarParameters(query.map { (name: $0.0, value: $0.1) })
    }

    @Test func defaultsAndEveryParameter() throws {
        #expect(try parse([]) == SimilarParameters([]))
        let p = try parse([
            ("limit", "500"), ("offset", "3"), ("w_image", "0.25"), ("category", "same"), ("exclude", "a,,b"),
            ("exclude", "c"), ("in_stock", "false"), ("min_score", "0.1"), ("explain", "1"),
        ])
        #expect(p.limit == SimilarParameters.maxLimit && p.offset == 3 && p.imageWeight == 0.25)
        #expect(p.category == .same && p.exclude == ["a", "b", "c"] && !p.inStockOnly && p.minScore == 0.1)
        #expect(p.explain)
        #expect(try parse([("category", "")]).category == .any)
        #expect(try parse([("category", "toys")]).category == .named("toys"))
    }

    @Test(arguments: [
        ("limit", "0"), ("limit", "x"), ("offset", "-1"), ("offset", "10001"), ("w_image", "1.5"), ("w_image", ""),
        ("in_stock", "maybe"), ("in_stock", ""), ("min_score", "nan"), ("min_score", ""), ("explain", "yes please"),
        ("colour", "red"),
    ])
    func badValuesAreRefusedByName(name: String, value: String) {
        #expect {
            _ = try parse([(name, value)])
        } throws: { error in
            (error as? SimilarParameters.Invalid)?.message.contains(name) == true
        }
    }
}

@Suite struct PathAndUploadTests {
    @Test func idsArePercentEncodedInLinksAndRoundTrip() {
        for id in ["plain", "a/b c", "ünï", "100%", "?#&"] {
            let segment = ItemPath.segment(id)
            #expect(!segment.contains("/") && !segment.contains("?") && !segment.contains("#"))
            #expect(segment.removingPercentEncoding == id)
        }
    }

    @Test func uploadTypesAreCheckedBeforeTheBodyIsRead() {
        #expect(UploadedImage.refusal(contentType: "image/jpeg") == nil)
        #expect(UploadedImage.refusal(contentType: "image/png") == nil)
        #expect(UploadedImage.refusal(contentType: "multipart/form-data; boundary=x") == nil)
        #expect(UploadedImage.refusal(contentType: "text/plain") != nil)
        #expect(UploadedImage.refusal(contentType: "") != nil)
    }

    @Test func aFormGivesItsFilePartAndAFormWithoutOneIsRefused() throws {
        let boundary = "b0undary"
        let form =
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"p.png\"\r\n"
            + "Content-Type: image/png\r\n\r\nPNGDATA\r\n--\(boundary)--\r\n"
        let type = "multipart/form-data; boundary=\(boundary)"
        #expect(try UploadedImage.extract(body: ByteBuffer(string: form), contentType: type) == Data("PNGDATA".utf8))
        let empty = "--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--\(boundary)--\r\n"
        #expect(throws: UploadedImage.Refusal.self) {
            try UploadedImage.extract(body: ByteBuffer(string: empty), contentType: type)
        }
    }

    @Test func routePatternsMatchTheirPathsOnly() {
        let similar = RoutePattern(path: "/items/:id/similar", method: .get)
        #expect(similar.matches("/items/a1/similar") && similar.matches("/items/a%2F1/similar"))
        #expect(!similar.matches("/items/a1") && !similar.matches("/items/a1/similar/more"))
        #expect(similar.methods == [.get, .head] && similar.label == "/items/{id}/similar")
    }
}
