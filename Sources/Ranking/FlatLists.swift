/// Per-item lists in two flat arrays (the elements, and where each item's list starts), instead
/// of one array per item: no per-list header, allocation or spare capacity, and one contiguous
/// block the refresh can replace whole. Item `i`'s list is `self[i]`.
public struct FlatLists<Element: Sendable>: Sendable, RandomAccessCollection {
    private let elements: [Element]
    /// `count + 1` offsets into `elements`: list i is `starts[i]..<starts[i + 1]`.
    private let starts: [Int]

    /// The lists of `lists`, padded with empty ones up to `count`.
    public init(_ lists: [[Element]], count: Int? = nil) {
        var builder = Builder()
        for (item, list) in lists.enumerated() {
            for element in list { _ = builder.append(element, to: item) }  // in item order: never refused
        }
        self = builder.finish(count: Swift.max(count ?? 0, lists.count))
    }

    private init(elements: [Element], starts: [Int]) {
        self.elements = elements
        self.starts = starts
    }

    /// Builds the lists element by element, items in increasing order (a COPY sorted like the
    /// items), without the per-item arrays in between.
    public struct Builder {
        private var elements: [Element] = []
        /// Where each item's list begins, for the items up to the one being filled.
        private var starts: [Int] = []

        public init() {}

        /// Appends `element` to `item`'s list; false (and nothing appended) when an item after it
        /// has already been started.
        public mutating func append(_ element: Element, to item: Int) -> Bool {
            guard item >= starts.count - 1 else { return false }
            while starts.count <= item { starts.append(elements.count) }
            elements.append(element)
            return true
        }

        /// The lists of `count` items (those never appended to are empty).
        public func finish(count: Int) -> FlatLists {
            var starts = self.starts
            while starts.count <= count { starts.append(elements.count) }
            return FlatLists(elements: elements, starts: starts)
        }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { starts.count - 1 }
    public subscript(_ i: Int) -> ArraySlice<Element> { elements[starts[i]..<starts[i + 1]] }

    /// Elements in all lists.
    public var elementCount: Int { elements.count }

    /// Bytes held by the two arrays (their elements; capacity is exact).
    public var bytes: Int { elements.count * MemoryLayout<Element>.stride + starts.count * MemoryLayout<Int>.stride }
}
