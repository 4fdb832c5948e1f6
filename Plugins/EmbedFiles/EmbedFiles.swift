import Foundation
import PackagePlugin

/// Compiles text files into a target as `EmbeddedFiles.text` (relative path → contents), so a
/// `reco` binary copied anywhere still has its migrations, page templates and API document.
@main
struct EmbedFiles: BuildToolPlugin {
    /// Per target: the folder (from the package root) whose files it embeds, and their extensions.
    static let sources: [String: (folder: String, extensions: Set<String>)] = [
        "Catalog": ("Migrations", ["sql"]),
        "RecoServer": ("Sources/RecoServer/Resources", ["mustache", "yaml"]),
    ]

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let source = Self.sources[target.name] else { return [] }
        let folder = context.package.directoryURL.appending(path: source.folder)
        let files = (FileManager.default.subpaths(atPath: folder.path) ?? [])
            .filter { source.extensions.contains(($0 as NSString).pathExtension) }
            .sorted()
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) files of \(source.folder) into \(target.name)",
                executable: try context.tool(named: "EmbedFilesTool").url,
                arguments: [output.path, folder.path] + files,
                inputFiles: files.map { folder.appending(path: $0) },
                outputFiles: [output])
        ]
    }
}
