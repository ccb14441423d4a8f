/// Tag names as the plugin writes them into request attributes and the
/// ledger: lower-case ASCII letters, digits and `_`, at most 64 bytes.
/// Header and metadata spellings are folded into that form
/// (`x-tollgate-tag-Cost-Center` and `metadata.cost-center` both give
/// `cost_center`), so one tag has one name whatever its source.
enum TagName {
    static let maxLength = 64
    static let maxValueBytes = 256
    /// At most this many tags per request (headers + metadata); the rest
    /// are ignored, so a client cannot bloat every ledger row.
    static let maxTagsPerRequest = 32

    /// The four well-known tags, with a ledger column each.
    static let feature = "feature"
    static let environment = "environment"
    static let experiment = "experiment"
    static let useCase = "use_case"
    static let wellKnown = [feature, environment, experiment, useCase]

    /// Attribution from the key's identity: set by the plugin from the
    /// identity the core authenticated, never from the request.
    static let org = "org"
    static let team = "team"
    static let keyID = "key_id"
    static let owner = "owner"
    static let keyClass = "key_class"
    static let endUser = "end_user"
    static let identity = [org, team, keyID, owner, keyClass]

    /// The attribute listing the tags replaced by the untagged value.
    static let untagged = "untagged"

    /// The budget plugin's attribute naming the exceptions that admitted
    /// the request (its ledger column `exception_ids`).
    static let exceptionIDs = "exception_ids"

    /// Names a request can never set: identity, the end user (read from the
    /// body's own field) and the plugin's bookkeeping.
    static let reserved: Set<String> = Set(identity + [endUser, untagged, exceptionIDs])

    /// The canonical form of `raw`, or nil when nothing usable is left.
    static func normalize(_ raw: String) -> String? {
        var bytes: [UInt8] = []
        for byte in raw.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): bytes.append(byte + 32)
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
                bytes.append(byte)
            case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: " "): bytes.append(UInt8(ascii: "_"))
            default: return nil
            }
        }
        guard !bytes.isEmpty, bytes.count <= maxLength else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A value as stored: control characters refused (nil), cut to
    /// `maxValueBytes` on a character boundary.
    static func cleanValue(_ raw: String) -> String? {
        guard !raw.isEmpty, !raw.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        if raw.utf8.count <= maxValueBytes { return raw }
        var out = ""
        var size = 0
        for character in raw {
            size += character.utf8.count
            if size > maxValueBytes { break }
            out.append(character)
        }
        return out
    }
}
