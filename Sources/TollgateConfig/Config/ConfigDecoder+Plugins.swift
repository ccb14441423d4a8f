import Foundation
import TollgateJSON
import TollgateSupport
import TollgateUnits
import TollgateDialects

extension ConfigDecoder {
    func decodePlugins(_ node: YAMLNode?) -> [PluginEntry] {
        guard let node, let items = list(node, expected: "a list of plugins") else { return [] }
        var plugins: [PluginEntry] = []
        var instanceLines: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let named = entryContext(item, nameKey: "name", kind: "plugin", list: "plugins", index: index)
            let context = named.hasPrefix("plugin '") ? named
                : entryContext(item, nameKey: "path", kind: "plugin", list: "plugins", index: index)
            guard let f = fields(item, context: context,
                                 expected: "a plugin (a mapping with name or path, and optional id, fail, config)",
                                 allowed: ["name", "path", "id", "fail", "config"]) else { continue }
            let name = f["name"].flatMap { pluginName($0) }
            let path = f["path"].flatMap { self.path($0, what: "plugin path") }
            switch (f["name"], f["path"]) {
            case (.some, .some):
                fail(item, "\(context) sets both 'name' and 'path'; use name for a first-party plugin or path for a library file, not both")
                continue
            case (.none, .none):
                fail(item, "\(context) needs 'name' (a first-party plugin such as budget) or 'path' (a plugin library file)")
                continue
            default:
                break
            }
            guard name != nil || path != nil else { continue }
            var instance = name ?? path.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? ""
            var instanceNode = f["name"] ?? f["path"] ?? item
            if let idNode = f["id"] {
                guard let id = identifier(idNode, what: "plugin id") else { continue }
                instance = id
                instanceNode = idNode
            }
            let failPolicy = f["fail"].flatMap { choice($0, FailPolicy.self, what: "fail policy") }
            if let line = instanceLines[instance] {
                fail(instanceNode, "duplicate plugin id '\(instance)' (first used at line \(line)); give one of them a distinct 'id'")
                continue
            }
            instanceLines[instance] = instanceNode.location.line
            if f["fail"] != nil, failPolicy == nil { continue }
            // No `config:`, or an empty one, is an empty object: a plugin
            // reads keys from an object and need not handle null.
            let given = f["config"]?.jsonValue
            let config = given == nil || given == .null ? .object(JSONObject()) : given!
            plugins.append(PluginEntry(name: name, path: path, instanceName: instance, fail: failPolicy,
                                       config: config, location: item.location))
        }
        return plugins
    }

    /// First-party names are lowercase words with '-' or '_' (they become
    /// part of a library file name).
    private func pluginName(_ node: YAMLNode) -> String? {
        guard let text = string(node, expected: "a plugin name") else { return nil }
        let valid = !text.isEmpty && text.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d || $0 == 0x5f
        }
        guard valid else {
            fail(node, "plugin name '\(text)' may only contain lowercase letters, digits, '-' and '_'; use 'path' for a library file")
            return nil
        }
        return text
    }

    func decodeAlerts(_ node: YAMLNode?) -> [AlertSinkConfig] {
        guard let node else { return [.log] }
        guard let items = list(node, expected: "a list of alert sinks") else { return [] }
        var sinks: [AlertSinkConfig] = []
        for (index, item) in items.enumerated() {
            let context = "alerts[\(index)]"
            guard let f = fields(item, context: context, expected: "an alert sink (a mapping with sink: log or webhook)",
                                 allowed: ["sink"] + Self.webhookKeys, required: ["sink"]),
                  let kind = f["sink"].flatMap({ choice($0, AlertSinkKind.self, what: "alert sink") }) else { continue }
            switch kind {
            case .log:
                for key in Self.webhookKeys {
                    if let extra = f[key] { fail(extra, "'\(key)' applies only to webhook sinks; remove it from \(context)") }
                }
                sinks.append(.log)
            case .webhook:
                guard let urlNode = f["url"] else {
                    fail(item, "\(context) is a webhook and needs 'url', e.g. http://127.0.0.1:9000/hook")
                    continue
                }
                let url = httpURL(urlNode, what: "webhook url")
                let timeout = f["timeout_ms"].map { integer($0, expected: "timeout_ms (milliseconds)", range: 1...600_000) } ?? 2_000
                let retries = f["retries"].map { integer($0, expected: "retries", range: 0...20) } ?? 3
                let backoff = f["backoff_ms"].map { integer($0, expected: "backoff_ms (milliseconds)", range: 0...600_000) } ?? 500
                let queue = f["queue_size"].map { integer($0, expected: "queue_size (alerts)", range: 1...1_000_000) } ?? 1_000
                let headers = f["headers"].map { webhookHeaders($0, context: context) } ?? [:]
                guard let url, let timeout, let retries, let backoff, let queue, let headers else { continue }
                sinks.append(.webhook(url: url, timeoutMs: Int(timeout), retries: Int(retries), backoffMs: Int(backoff),
                                      queueSize: Int(queue), headers: headers))
            }
        }
        return sinks
    }

    static let webhookKeys = ["url", "timeout_ms", "retries", "backoff_ms", "queue_size", "headers"]

    /// `headers: {x-team-token: abc}`: names are HTTP tokens, values one line.
    private func webhookHeaders(_ node: YAMLNode, context: String) -> [String: String]? {
        guard case .mapping(let pairs) = node.content else {
            fail(node, "expected headers of \(context) as a mapping of header name to value, got \(node.kindDescription)")
            return nil
        }
        var headers: [String: String] = [:]
        var valid = true
        for pair in pairs {
            guard let name = pair.key.scalar?.text, let value = string(pair.value, expected: "a header value") else {
                valid = false
                continue
            }
            let tokenBytes = Set("!#$%&'*+-.^_`|~".utf8)
            let isToken = !name.isEmpty && name.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a) || tokenBytes.contains($0)
            }
            guard isToken else {
                fail(pair.key, "'\(name)' in headers of \(context) is not a valid HTTP header name; use letters, digits and - (e.g. x-team-token)")
                valid = false
                continue
            }
            guard !value.contains("\r"), !value.contains("\n") else {
                fail(pair.value, "the value of header '\(name)' in \(context) must be on one line")
                valid = false
                continue
            }
            headers[name] = value
        }
        return valid ? headers : nil
    }
}

package enum AlertSinkKind: String, CaseIterable {
    case log, webhook
}
