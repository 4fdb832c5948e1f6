import CVectorKernels
import Foundation

/// The instruction-set path of the hand-written kernels (the network's convolutions, the int8 scan).
/// The best this CPU has unless `RECO_ISA` (avx2 | avx512 | portable) forces one, for tests,
/// benchmarks, or a machine whose detection is wrong.
public enum InstructionSet: String, Sendable, CaseIterable, CustomStringConvertible {
    case portable
    case avx2
    case avx512

    public var isSupported: Bool { reco_isa_supported(kernelValue) != 0 }

    /// The path kernels take by default (`RECO_ISA` or the best supported).
    public static func selected() throws(InstructionSetError) -> InstructionSet {
        let chosen = reco_isa_default()
        if chosen >= 0, let isa = InstructionSet.allCases.first(where: { Int32($0.kernelValue.rawValue) == chosen }) {
            return isa
        }
        let named = ProcessInfo.processInfo.environment["RECO_ISA"] ?? ""
        throw InstructionSetError(requested: named, supported: allCases.filter(\.isSupported))
    }

    /// The selected path, or portable when `RECO_ISA` is invalid: for kernels off the model's path
    /// (the int8 scan, nearest centroids), which run either way; the model load reports the error.
    public static var selectedOrPortable: InstructionSet { (try? selected()) ?? .portable }

    public var description: String {
        switch self {
        case .portable: "portable (plain C)"
        case .avx2: "avx2 (AVX2 + FMA)"
        case .avx512: "avx512 (AVX-512F)"
        }
    }

    /// The value the C kernels take.
    public var kernelValue: reco_isa {
        switch self {
        case .portable: RECO_ISA_PORTABLE
        case .avx2: RECO_ISA_AVX2
        case .avx512: RECO_ISA_AVX512
        }
    }
}

/// RECO_ISA names a path this CPU cannot run, or none at all.
public struct InstructionSetError: Error, CustomStringConvertible {
    public let requested: String
    public let supported: [InstructionSet]

    public var description: String {
        let names = supported.map(\.rawValue).joined(separator: ", ")
        return InstructionSet(rawValue: requested) == nil
            ? "RECO_ISA=\(requested) is not a kernel path (use one of: \(names))"
            : "RECO_ISA=\(requested): this CPU cannot run that path (it can: \(names))"
    }
}
