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
