import TollgatePluginKit

/// Gathers a request's tags from where clients put them. Lowest to highest
/// precedence: body `metadata` (OpenAI and Anthropic; every string entry
/// but `user_id` is a tag), then headers (`x-tollgate-feature`,
/// `-environment`, `-experiment`, `-use-case`, and `x-tollgate-tag-NAME`).
/// Names are folded by `TagName.normalize`; identity names are ignored
/// (the key decides who pays, not the request).
enum TagCollector {
    static let wellKnownHeaderPrefix = "x-tollgate-"
    static let genericHeaderPrefix = "x-tollgate-tag-"

    /// The request's own tags, in first-seen order.
    static func collect(headers: [(key: String, value: String)],
                        metadata: [(key: String, value: String)]) -> [(name: String, value: String)] {
        var tags: [(name: String, value: String)] = []
        func put(_ rawName: String, _ rawValue: String) {
            guard let name = TagName.normalize(rawName), !TagName.reserved.contains(name),
                  let value = TagName.cleanValue(rawValue) else { return }
            if let index = tags.firstIndex(where: { $0.name == name }) {
                tags[index].value = value
            } else if tags.count < TagName.maxTagsPerRequest {
                tags.append((name, value))
            }
        }
        for entry in metadata where entry.key != "user_id" {
            put(entry.key, entry.value)
        }
        for header in headers {
            let key = header.key.lowercased()
            if key.hasPrefix(genericHeaderPrefix) {
                put(String(key.dropFirst(genericHeaderPrefix.count)), header.value)
            } else if key.hasPrefix(wellKnownHeaderPrefix) {
                let rest = String(key.dropFirst(wellKnownHeaderPrefix.count))
                if let name = TagName.normalize(rest), TagName.wellKnown.contains(name) { put(name, header.value) }
            }
        }
        return tags
    }

    /// Attribution from the authenticated identity (and the body's end
    /// user), as attributes.
    static func identity(of call: Call) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        out.reserveCapacity(6)
        let pairs: [(String, String?)] = [
            (TagName.org, call.org), (TagName.team, call.team), (TagName.keyID, call.keyID),
            (TagName.owner, call.owner), (TagName.keyClass, call.keyClass), (TagName.endUser, call.endUser),
        ]
        for (name, value) in pairs {
            if let value, !value.isEmpty { out.append((name, value)) }
        }
        return out
    }
}
