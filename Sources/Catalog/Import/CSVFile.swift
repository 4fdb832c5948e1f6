import CSV
import Foundation

/// Writes a CSV file with a header row (CSV.swift quotes what needs quoting).
enum CSVFile {
    static func write(to url: URL, header: [String], rows: [[String]]) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard let stream = OutputStream(toFileAtPath: url.path, append: false) else { throw DemoError("cannot write \(url.path)") }
        stream.open()
        defer { stream.close() }
        let csv = try CSVWriter(stream: stream)
        try csv.write(row: header)
        for row in rows { try csv.write(row: row) }
    }
}
