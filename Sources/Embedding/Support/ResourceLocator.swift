import Foundation

/// Finds a folder that ships beside reco (models/): the current directory first, then the
/// executable's folder and its parents, so `.build/release/reco` run from anywhere finds the
/// project's copy; an installed `PREFIX/bin/reco` finds `PREFIX/share/reco/<folder>`
/// (ops/install).
public enum ResourceLocator {
    /// The first `<candidate>/<folder>` holding `marker`; else `<current directory>/<folder>`.
    public static func locate(folder: String, marker: String) -> URL {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        var candidates = [cwd]
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(dir)
            dir = dir.deletingLastPathComponent()
        }
        for candidate in candidates {
            for url in [
                candidate.appendingPathComponent(folder),
                candidate.appendingPathComponent("share/reco").appendingPathComponent(folder),
            ] where FileManager.default.fileExists(atPath: url.appendingPathComponent(marker).path) {
                return url
            }
        }
        return cwd.appendingPathComponent(folder)
    }
}
