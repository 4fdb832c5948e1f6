import Compute

/// Activations in memory as the network's C kernels read and write them: float32, or ReLU6
/// outputs as one-byte codes (`ReLU6Codes`: the int8 network's expanded and depthwise bands, a
/// quarter of the floats' bytes).
enum Activations {
    case floats(UnsafeMutablePointer<Float>)
    case codes(UnsafeMutablePointer<UInt8>)

    /// The activations `count` values on.
    func advanced(by count: Int) -> Activations {
        switch self {
        case .floats(let p): .floats(p + count)
        case .codes(let p): .codes(p + count)
        }
    }

    /// Moves `count` values from `offset` values on to the start (the regions may overlap).
    func move(from offset: Int, count: Int) {
        switch self {
        case .floats(let p): p.update(from: p + offset, count: count)
        case .codes(let p): p.update(from: p + offset, count: count)
        }
    }
}
