import Foundation

/// Splits a CSV file into records (RFC 4180: quoted fields may hold commas, `""` for a quote, and
/// line breaks) and survives damage. CSV.swift stops the whole file at the first byte that is not
/// UTF-8 and lets an unclosed quote swallow the rest of it; here each such record is one bad row
/// with its line number, and reading goes on at the next line.
struct CSVRecords {
    /// A record, or why the record starting at `line` could not be read.
    enum Outcome {
        case fields([String])
        case bad(String)
    }

    /// A quoted field may span lines, but a record longer than this whose quote is still open is
    /// taken for an unclosed quote (and reading resumes on the line after the record's start).
    static let maxRecordBytes = 1 << 20

    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEOF = false
    /// The physical line `start` is on (1-based).
    private var line = 1

    init(handle: FileHandle) { self.handle = handle }

    /// The next record and the line it starts on, or nil at the end of the file.
    mutating func next() throws -> (line: Int, outcome: Outcome)? {
        while true {
            switch scan() {
            case .record(let fields, let end, let lines):
                let at = line
                consume(to: end, lines: lines)
                if fields.count == 1 && fields[0].isEmpty { continue }  // blank line
                return (at, Self.decode(fields))
            case .unclosed:
                // Resynchronise on the next physical line: what followed the stray quote is read again.
                let at = line
                let newline = buffer[start...].firstIndex(of: 0x0A).map { $0 + 1 } ?? buffer.count
                consume(to: newline, lines: 1)
                return (at, .bad("a quoted field opened on this line is never closed properly"))
            case .needMore:
                if atEOF { return nil }
                try fill()
            }
        }
    }

    private mutating func consume(to end: Int, lines: Int) {
        start = end
        line += lines
    }

    private mutating func fill() throws {
        let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        if chunk.isEmpty { atEOF = true } else { buffer.append(contentsOf: chunk) }
    }

    private enum Scan {
        case record([[UInt8]], end: Int, lines: Int)
        case unclosed
        case needMore
    }

    /// Reads one record from `start` if the buffer holds all of it.
    private func scan() -> Scan {
        buffer.withUnsafeBufferPointer { bytes in
            var fields: [[UInt8]] = []
            var field: [UInt8] = []
            var quoted = false
            var lines = 0
            var i = start
            let quote = UInt8(ascii: "\"")
            let comma = UInt8(ascii: ",")
            let cr = UInt8(ascii: "\r")
            let lf = UInt8(ascii: "\n")
            while i < bytes.count {
                let b = bytes[i]
                if quoted {
                    if b == quote {
                        if i + 1 == bytes.count && !atEOF { return .needMore }
                        if i + 1 < bytes.count && bytes[i + 1] == quote {
                            field.append(quote)
                            i += 2
                            continue
                        }
                        // A closing quote ends its field: anything else after it means the quote
                        // was a stray one, and the record cannot be trusted.
                        if i + 1 < bytes.count && ![comma, cr, lf].contains(bytes[i + 1]) { return .unclosed }
                        quoted = false
                    } else {
                        if b == lf { lines += 1 }
                        field.append(b)
                    }
                    if i - start > Self.maxRecordBytes { return .unclosed }
                } else if b == comma {
                    fields.append(field)
                    field.removeAll(keepingCapacity: true)
                } else if b == lf {
                    if field.last == cr { field.removeLast() }
                    fields.append(field)
                    return .record(fields, end: i + 1, lines: lines + 1)
                } else if b == quote && field.isEmpty {
                    quoted = true
                } else {
                    field.append(b)
                }
                i += 1
            }
            guard atEOF else { return .needMore }
            if quoted { return .unclosed }
            if i == start { return .needMore }  // nothing left
            if field.last == cr { field.removeLast() }
            fields.append(field)
            return .record(fields, end: i, lines: 0)
        }
    }

    private static func decode(_ fields: [[UInt8]]) -> Outcome {
        var texts: [String] = []
        texts.reserveCapacity(fields.count)
        for (i, bytes) in fields.enumerated() {
            if bytes.contains(0) { return .bad("field \(i + 1) contains a NUL byte") }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                return .bad("field \(i + 1) is not valid UTF-8")
            }
            texts.append(text)
        }
        return .fields(texts)
    }
}
