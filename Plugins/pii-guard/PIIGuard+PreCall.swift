import TollgatePluginKit

extension PIIGuard {
    /// Scans every prompt segment in place (the host's borrowed bytes, no
    /// copy), then blocks, or writes back the redacted segments.
    public func preCall(_ call: Call) throws -> PreCallVerdict {
        let rules = rules(for: call)
        let enabled = rules.enabled
        guard !enabled.isEmpty else { return .continue }
        let scanner = PIIScanner(enabled: enabled)
        let api = call.hostAPI.pointee
        guard let countSegments = api.prompt_segment_count, let getSegment = api.get_prompt_segment else {
            throw PluginError("the host does not offer prompt segments")
        }
        var segmentCount = 0
        guard countSegments(call.handle, &segmentCount) == TOLLGATE_STATUS_OK else {
            throw PluginError("could not count the prompt segments")
        }
        var table = PlaceholderTable()
        var counts = [Int](repeating: 0, count: PIICategory.allCases.count)
        var blocked = CategorySet()
        var edits: [(index: Int, text: String)] = []
        var findings: [Finding] = []
        for index in 0..<segmentCount {
            var text = tollgate_type_str()
            var role = tollgate_type_str()
            guard getSegment(call.handle, index, &text, &role) == TOLLGATE_STATUS_OK else {
                throw PluginError("could not read prompt segment \(index)")
            }
            guard let pointer = text.ptr, text.len > 0 else { continue }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self),
                                            count: text.len)
            findings.removeAll(keepingCapacity: true)
            scanner.scan(bytes, into: &findings)
            guard !findings.isEmpty else { continue }
            var redact = false
            for finding in findings {
                counts[finding.category.rawValue] += 1
                switch rules.action(for: finding.category) {
                case .block?: blocked.insert(CategorySet(finding.category))
                case .redact?: redact = true
                case .log?, nil: break
                }
            }
            guard redact, blocked.isEmpty else { continue }
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + 16)
            rewrite(bytes, findings: findings, into: &out) { finding, value in
                guard rules.action(for: finding.category) == .redact else { return nil }
                return table.placeholder(for: String(decoding: value, as: UTF8.self), category: finding.category)
            }
            edits.append((index, String(decoding: out, as: UTF8.self)))
        }
        record(counts, rules: rules, direction: "input")
        if !blocked.isEmpty {
            let names = blocked.categories.map(\.name).joined(separator: ", ")
            host.log(.info, "pii-guard blocked a request: \(Self.summary(counts))", call: call)
            return call.reject(status: 400, type: "invalid_request_error", code: "pii_detected",
                               message: "The request contains personal data that may not be sent to this model: \(names)")
        }
        for edit in edits {
            let status = call.setPromptSegment(at: edit.index, text: edit.text)
            guard status.isOK else { throw PluginError("could not redact prompt segment \(edit.index): host answered \(status)") }
        }
        if !edits.isEmpty { host.log(.debug, "pii-guard redacted: \(Self.summary(counts))", call: call) }
        let restorer = rules.restore && !table.isEmpty ? PlaceholderRestorer(table: table) : nil
        let output = rules.scanOutput ? OutputScanner(scanner: scanner, masked: rules.maskedInOutput) : nil
        if restorer != nil || output != nil {
            call.state = GuardCallState(rules: rules, output: output, restorer: restorer)
        }
        return .continue
    }

    /// "email=2 card=1": counts only, never values.
    static func summary(_ counts: [Int]) -> String {
        PIICategory.allCases.filter { counts[$0.rawValue] > 0 }
            .map { "\($0.name)=\(counts[$0.rawValue])" }.joined(separator: " ")
    }
}
