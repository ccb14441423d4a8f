// Pure Swift (no imports): the scanner files compile on their own for the
// throughput benchmark in bench/pii.

/// What a detector finds. `name` is the word used in the YAML (`detect:`),
/// the metric label and the block message; `label` is the placeholder stem.
enum PIICategory: Int, CaseIterable {
    case email, phone, card, ssn, iban, ip, secret

    var name: String {
        switch self {
        case .email: return "email"
        case .phone: return "phone"
        case .card: return "card"
        case .ssn: return "ssn"
        case .iban: return "iban"
        case .ip: return "ip"
        case .secret: return "secret"
        }
    }

    /// `[EMAIL_1]` in prompts, `[EMAIL_REDACTED]` in answers.
    var label: String { name.uppercased() }

    init?(name: String) {
        guard let found = PIICategory.allCases.first(where: { $0.name == name }) else { return nil }
        self = found
    }
}

/// A set of categories as a bit mask: checked per token on the hot path.
struct CategorySet: OptionSet {
    var rawValue: UInt8

    init(rawValue: UInt8) { self.rawValue = rawValue }
    init(_ category: PIICategory) { rawValue = 1 << UInt8(category.rawValue) }

    static let all = CategorySet(rawValue: (1 << UInt8(PIICategory.allCases.count)) - 1)

    @inline(__always) func has(_ category: PIICategory) -> Bool {
        rawValue & (1 << UInt8(category.rawValue)) != 0
    }

    /// Members in declaration order (the order of the block message).
    var categories: [PIICategory] { PIICategory.allCases.filter { has($0) } }
}

/// One detected value: bytes `start..<end` of the scanned text.
struct Finding: Equatable {
    var start: Int
    var end: Int
    var category: PIICategory
    /// A PEM private key whose END line has not arrived yet (streaming
    /// only): `end` is the end of the BEGIN line.
    var openPEM = false
}
