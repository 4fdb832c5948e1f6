import CSV
import Foundation

/// Writes a CSV file with a header row (CSV.swift quotes what needs quoting).
public enum CSVFile {
    public static func write(to url: URL, header: [String], rows: [[String]]) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        // CSV.swift writes scalar by scalar: into memory, then one file write (straight to a file
        // stream, a million-row views CSV took over a minute).
        let stream = OutputStream.toMemory()
        stream.open()
        let csv = try CSVWriter(stream: stream)
        try csv.write(row: header)
        for row in rows { try csv.write(row: row) }
        stream.close()
        guard let data = stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        try data.write(to: url, options: .atomic)
    }
}
