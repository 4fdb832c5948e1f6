import Foundation

/// Where converted weights live: `models/NAME.weights` beside `models/NAME.json`.
public struct ModelStore: Sendable {
    public static let defaultModel = "efficientnet-lite0"
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    /// `RECO_MODEL_DIR` if set; otherwise the first `models/` folder holding a spec found in the
    /// current directory or above the executable (so `.build/debug/reco` finds the project's).
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> ModelStore {
        if let dir = environment["RECO_MODEL_DIR"], !dir.isEmpty {
            return ModelStore(directory: URL(fileURLWithPath: dir))
        }
        return ModelStore(directory: ResourceLocator.locate(folder: "models", marker: "\(defaultModel).json"))
    }

    public func weightsURL(_ name: String) -> URL { directory.appendingPathComponent("\(name).weights") }

    /// The int8 variant's activation ranges (`reco calibrate` writes it; committed with the spec).
    public func calibrationURL(_ name: String) -> URL { directory.appendingPathComponent("\(name).int8.json") }

    public func load(_ name: String = defaultModel, precision: Precision = .fp32) throws -> EfficientNetLite {
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw ModelError.invalidSpec("model name \(name) may hold letters, digits and '-' only")
        }
        let calibration = precision == .int8 ? try Int8Calibration.read(calibrationURL(name)) : nil
        return try EfficientNetLite(contentsOf: weightsURL(name), precision: precision, calibration: calibration)
    }
}
