import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The real `reco serve` binary on a free loopback port, stopped with SIGTERM (graceful shutdown).
final class ServiceProcess: @unchecked Sendable {  // immutable after init; Process is thread-safe for these calls
    let process = Process()
    let port: Int
    /// Standard error goes to a file: a pipe nobody reads would block the server once full.
    let logFile = FileManager.default.temporaryDirectory.appendingPathComponent(
        "reco-serve-\(UUID().uuidString.prefix(8)).log")

    /// The project's debug build, unless `executable` names another `reco` (an installed one).
    init(
        databaseURL: String, arguments: [String] = [], environment: [String: String] = [:],
        executable: URL? = nil, in folder: URL? = nil
    ) async throws {
        let reco = executable ?? TestCatalog.projectRoot.appendingPathComponent(".build/debug/reco")
        try #require(
            FileManager.default.isExecutableFile(atPath: reco.path), "build the reco binary first (ops/test does)")
        process.executableURL = reco
        process.currentDirectoryURL = folder
        process.arguments =
            ["serve", "--port", "0", "--database-url", databaseURL, "--refresh-seconds", "0.3"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let stdout = Pipe()
        process.standardOutput = stdout
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: logFile)
        try process.run()
        // The first line on standard output names the bound port.
        let reader = stdout.fileHandleForReading
        let text = try await blocking {
            var line = Data()
            while !line.contains(UInt8(ascii: "\n")) {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                line += chunk
            }
            return String(decoding: line, as: UTF8.self)
        }
        guard
            let port = text.split(separator: ":").last.flatMap({
                Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
            })
        else {
            process.terminate()
            throw TestFailure("reco serve did not start: \(text)")
        }
        self.port = port
    }

    /// SIGTERM, then the exit status (0 after a graceful shutdown).
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { process.terminate() } }

    struct Reply {
        let status: Int
        let headers: [String: String]
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any], "not a JSON object: \(text)")
        }
    }

    func request(_ path: String, method: String = "GET", body: Data? = nil, headers: [String: String] = [:])
        async throws -> Reply
    {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.httpBody = body
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var fields: [String: String] = [:]
        for (k, v) in http.allHeaderFields { fields[String(describing: k).lowercased()] = String(describing: v) }
        return Reply(status: http.statusCode, headers: fields, body: data)
    }

    func get(_ path: String) async throws -> Reply { try await request(path) }

    /// Polls `path` until `condition` holds (the service refreshes on its own), or fails after `seconds`.
    func eventually(
        _ path: String, method: String = "GET", body: Data? = nil, headers: [String: String] = [:],
        within seconds: Double = 20, _ condition: (Reply) throws -> Bool
    ) async throws -> Reply {
        let start = Date()
        let deadline = start.addingTimeInterval(seconds)
        var last: Reply?
        var seen: [String] = []  // each change of answer, with when: the failure shows the whole story
        while Date() < deadline {
            let reply: Reply
            do { reply = try await request(path, method: method, body: body, headers: headers) } catch {
                seen.append("\(Self.since(start)) \(error)")
                try await Task.sleep(for: .milliseconds(100))
                continue
            }
            if reply.status != last?.status || reply.body != last?.body {
                seen.append("\(Self.since(start)) \(reply.status) \(reply.text.prefix(200))")
            }
            last = reply
            if (try? condition(reply)) == true { return reply }
            try await Task.sleep(for: .milliseconds(100))
        }
        // One answer after the deadline: a starved test may have seen few answers in the window.
        if let reply = try? await request(path, method: method, body: body, headers: headers) {
            if (try? condition(reply)) == true { return reply }
            seen.append("\(Self.since(start)) \(reply.status) \(reply.text.prefix(200)) (after the deadline)")
        }
        throw TestFailure(
            "\(path) on port \(port) did not reach the expected state within \(seconds) s (from \(start)); "
                + "answers:\n\(seen.suffix(20).joined(separator: "\n"))\nservice log:\n\(log.suffix(4000))"
        )
    }

    private static func since(_ start: Date) -> String {
        String(format: "+%.1fs", Date().timeIntervalSince(start))
    }

    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
