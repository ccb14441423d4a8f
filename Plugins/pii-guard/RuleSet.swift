/// What to do with a category's findings.
enum RuleAction: String, CaseIterable {
    /// Replace with a placeholder (prompts) or a mask (answers).
    case redact
    /// Refuse the request with 400 (prompts); mask (answers).
    case block
    /// Count only.
    case log
}

/// The rules in force for one request: an action per category (nil: not
/// detected), whether placeholders are restored in the answer, and whether
/// the answer is scanned.
struct RuleSet: Equatable {
    private(set) var actions = [RuleAction?](repeating: nil, count: PIICategory.allCases.count)
    var restore = false
    var scanOutput = true

    func action(for category: PIICategory) -> RuleAction? { actions[category.rawValue] }

    /// Sets the action of one category, or of all with nil.
    mutating func set(_ action: RuleAction, for category: PIICategory?) {
        if let category {
            actions[category.rawValue] = action
        } else {
            for c in PIICategory.allCases { actions[c.rawValue] = action }
        }
    }

    /// Categories with any rule: what the scanner looks for.
    var enabled: CategorySet { categories { $0 != nil } }
    /// Categories masked in answers (redact and block).
    var maskedInOutput: CategorySet { categories { $0 == .redact || $0 == .block } }

    private func categories(where keep: (RuleAction?) -> Bool) -> CategorySet {
        var set = CategorySet()
        for c in PIICategory.allCases where keep(actions[c.rawValue]) { set.insert(CategorySet(c)) }
        return set
    }
}
