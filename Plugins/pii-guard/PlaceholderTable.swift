/// The placeholders of one request: the same value of a category gets the
/// same placeholder (`[EMAIL_1]`) in every prompt segment, and a placeholder
/// maps back to its value for restoring the answer. Lives in the request's
/// state; never logged.
struct PlaceholderTable {
    private var counters = [Int](repeating: 0, count: PIICategory.allCases.count)
    private var byValue: [Key: String] = [:]
    private(set) var values: [String: String] = [:]
    /// Categories that have at least one placeholder.
    private(set) var categories = CategorySet()
    /// Length in bytes of the longest placeholder handed out.
    private(set) var longest = 0

    private struct Key: Hashable {
        var category: Int
        var value: String
    }

    var isEmpty: Bool { values.isEmpty }

    mutating func placeholder(for value: String, category: PIICategory) -> String {
        let key = Key(category: category.rawValue, value: value)
        if let existing = byValue[key] { return existing }
        counters[category.rawValue] += 1
        let placeholder = "[\(category.label)_\(counters[category.rawValue])]"
        byValue[key] = placeholder
        values[placeholder] = value
        categories.insert(CategorySet(category))
        longest = max(longest, placeholder.utf8.count)
        return placeholder
    }

    func value(for placeholder: String) -> String? { values[placeholder] }
}

/// Rewrites `text` with each finding replaced by `replacement(finding)`
/// (nil keeps the original bytes). Findings are in order, non-overlapping.
func rewrite(_ bytes: UnsafeBufferPointer<UInt8>, from: Int = 0, to end: Int? = nil, findings: [Finding],
             into out: inout [UInt8], replacement: (Finding, UnsafeBufferPointer<UInt8>) -> String?) {
    let end = end ?? bytes.count
    var position = from
    for finding in findings where finding.start >= from && finding.end <= end {
        guard let replacement = replacement(finding, UnsafeBufferPointer(rebasing: bytes[finding.start..<finding.end])) else {
            continue
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[position..<finding.start]))
        out.append(contentsOf: replacement.utf8)
        position = finding.end
    }
    if position < end { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[position..<end])) }
}
