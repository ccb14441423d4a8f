import CYAML
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects

/// Reads one YAML document into a `YAMLNode` tree with libyaml's event API.
///
/// Anchors and aliases are supported (an alias is a copy of the anchored
/// node, keeping the alias's position). Merge keys (`<<`) are not: they come
/// through as an ordinary key and the schema reports them as unknown.
/// Duplicate keys in any mapping are reported but do not stop the parse, so
/// they arrive together with the schema's errors.
package enum YAMLParser {
    package struct Output: Sendable {
        /// nil for an empty stream.
        package var root: YAMLNode?
        /// Non-fatal problems (duplicate or non-scalar keys).
        package var problems: [ConfigError]
    }

    /// Nesting beyond this is surely a mistake, and bounds the recursion.
    static let maxDepth = 200

    /// Throws `ConfigError` for a syntax error or a second document.
    package static func parse(_ text: String, file: String) throws -> Output {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { bytes = [0x0a] }  // libyaml wants a non-null buffer
        return try bytes.withUnsafeBufferPointer { buffer in
            var reader = EventReader(file: file)
            defer { reader.close() }
            yaml_parser_set_input_string(reader.parser, buffer.baseAddress, buffer.count)
            return try reader.readStream()
        }
    }
}

/// One libyaml event, copied out into Swift values.
private struct Event {
    var type: yaml_event_type_t
    var location: SourceLocation
    var anchor: String?
    var tag: String?
    var text: String = ""
    var plain = false
}

private struct EventReader {
    let file: String
    let parser: UnsafeMutablePointer<yaml_parser_t>
    var anchors: [String: YAMLNode] = [:]
    var problems: [ConfigError] = []

    init(file: String) {
        self.file = file
        parser = .allocate(capacity: 1)
        yaml_parser_initialize(parser)
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
    }

    func close() {
        yaml_parser_delete(parser)
        parser.deallocate()
    }

    func location(_ mark: yaml_mark_t) -> SourceLocation {
        SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    mutating func next() throws -> Event {
        var raw = yaml_event_t()
        guard yaml_parser_parse(parser, &raw) != 0 else { throw syntaxError() }
        defer { yaml_event_delete(&raw) }
        var event = Event(type: raw.type, location: location(raw.start_mark))
        switch raw.type {
        case YAML_SCALAR_EVENT:
            let scalar = raw.data.scalar
            event.anchor = string(scalar.anchor)
            event.tag = string(scalar.tag)
            if let value = scalar.value {
                event.text = String(decoding: UnsafeBufferPointer(start: value, count: Int(scalar.length)), as: UTF8.self)
            }
            event.plain = scalar.style == YAML_PLAIN_SCALAR_STYLE
        case YAML_SEQUENCE_START_EVENT:
            event.anchor = string(raw.data.sequence_start.anchor)
            event.tag = string(raw.data.sequence_start.tag)
        case YAML_MAPPING_START_EVENT:
            event.anchor = string(raw.data.mapping_start.anchor)
            event.tag = string(raw.data.mapping_start.tag)
        case YAML_ALIAS_EVENT:
            event.anchor = string(raw.data.alias.anchor)
        default:
            break
        }
        return event
    }

    func syntaxError() -> ConfigError {
        let p = parser.pointee
        var message = "YAML syntax error: " + (p.problem.map { String(cString: $0) } ?? "malformed document")
        if let context = p.context.map({ String(cString: $0) }) {
            let at = location(p.context_mark)
            message += " (\(context) at line \(at.line), column \(at.column))"
        }
        return ConfigError(location: location(p.problem_mark), message: message)
    }

    mutating func readStream() throws -> YAMLParser.Output {
        _ = try next()  // STREAM-START
        var root: YAMLNode?
        while true {
            let event = try next()
            if event.type == YAML_STREAM_END_EVENT { break }
            // DOCUMENT-START
            if root != nil {
                throw ConfigError(location: event.location,
                                  message: "a config file holds one YAML document; remove this second one (or the '---' before it)")
            }
            root = try readNode(try next(), depth: 0)
            _ = try next()  // DOCUMENT-END
        }
        return YAMLParser.Output(root: root, problems: problems)
    }

    mutating func readNode(_ event: Event, depth: Int) throws -> YAMLNode {
        if depth > YAMLParser.maxDepth {
            throw ConfigError(location: event.location, message: "nesting is deeper than \(YAMLParser.maxDepth) levels")
        }
        let node: YAMLNode
        switch event.type {
        case YAML_SCALAR_EVENT:
            let scalar = YAMLScalar(text: event.text, style: event.plain ? .plain : .quoted, tag: event.tag)
            node = YAMLNode(.scalar(scalar), at: event.location)
        case YAML_ALIAS_EVENT:
            guard let name = event.anchor, var target = anchors[name] else {
                throw ConfigError(location: event.location, message: "unknown alias '*\(event.anchor ?? "")'")
            }
            target.location = event.location
            return target
        case YAML_SEQUENCE_START_EVENT:
            var items: [YAMLNode] = []
            while true {
                let item = try next()
                if item.type == YAML_SEQUENCE_END_EVENT { break }
                items.append(try readNode(item, depth: depth + 1))
            }
            node = YAMLNode(.sequence(items), at: event.location)
        case YAML_MAPPING_START_EVENT:
            var pairs: [YAMLNode.Pair] = []
            var seen: [String: SourceLocation] = [:]
            while true {
                let keyEvent = try next()
                if keyEvent.type == YAML_MAPPING_END_EVENT { break }
                let key = try readNode(keyEvent, depth: depth + 1)
                let value = try readNode(try next(), depth: depth + 1)
                if let text = key.scalar?.text {
                    if let first = seen[text] {
                        problems.append(ConfigError(location: key.location,
                            message: "duplicate key '\(text)' (first set at line \(first.line)); keep only one"))
                        continue
                    }
                    seen[text] = key.location
                } else {
                    problems.append(ConfigError(location: key.location,
                        message: "a mapping key must be a plain name, not \(key.kindDescription)"))
                    continue
                }
                pairs.append(YAMLNode.Pair(key: key, value: value))
            }
            node = YAMLNode(.mapping(pairs), at: event.location)
        default:
            throw ConfigError(location: event.location, message: "unexpected YAML event")
        }
        if let anchor = event.anchor { anchors[anchor] = node }
        return node
    }
}
