import TollgateABI
import TollgatePluginKit

// The fake host's API table: @convention(c) functions that find the
// FakeHost / FakeCall behind the opaque pointers and apply the header's
// rules. Phases, read-only maps, NULL out-parameters and argument ranges
// are not decided here: every function asks TollgateABI (HostFunction,
// CallProperty, CallMap, ArgumentRules), the rules the gateway's table
// asks too, and a test in the gateway's suite calls both tables function
// by function to prove they agree.

enum FakeHostTable {
    /// The table a host of ABI 1.`minor` hands out: the same functions, but
    /// `struct_size` and `abi_minor` of that version, as a real older host
    /// would — so a plugin can be tested against the oldest host it claims
    /// to support. One table per minor for the process.
    static func pointer(forMinor minor: UInt16) -> UnsafePointer<tollgate_type_host_api> {
        guard minor < UInt16(TOLLGATE_ABI_MINOR) else { return pointer }
        return olderTables.withLock { tables in
            if let table = tables[minor] { return table }
            // The first field each minor added marks where the older table ends.
            let firstAdded: [PartialKeyPath<tollgate_type_host_api>] = [\.counter_declare, \.get_host_string, \.metric_series,
                                                                        \.declare_route, \.grants_get, \.ledger_append]
            let end = MemoryLayout<tollgate_type_host_api>.offset(of: firstAdded[Int(minor)])!
            let table = UnsafeMutablePointer<tollgate_type_host_api>.allocate(capacity: 1)
            table.initialize(to: pointer.pointee)
            table.pointee.struct_size = UInt32(end)
            table.pointee.abi_minor = minor
            tables[minor] = UnsafePointer(table)
            return UnsafePointer(table)
        }
    }

    private static let olderTables = Locked<[UInt16: UnsafePointer<tollgate_type_host_api>]>([:])

    /// One table for the process, like the real host's.
    static let pointer: UnsafePointer<tollgate_type_host_api> = {
        var api = tollgate_type_host_api()
        api.struct_size = UInt32(MemoryLayout<tollgate_type_host_api>.size)
        api.abi_major = UInt16(TOLLGATE_ABI_MAJOR)
        api.abi_minor = UInt16(TOLLGATE_ABI_MINOR)
        api.log = { host, call, level, message in FakeHostTable.log(host, call, level, message) }
        api.metric_define = { host, kind, name, help, labels, idOut in
            FakeHostTable.metricDefine(host, kind, name, help, labels, idOut)
        }
        api.metric_record = { host, id, values, count, value in
            FakeHostTable.metricRecord(host, id, values, count, value)
        }
        api.metric_series = { host, id, values, count, seriesOut in
            FakeHostTable.metricSeries(host, id, values, count, seriesOut)
        }
        api.metric_series_record = { host, series, value in FakeHostTable.metricSeriesRecord(host, series, value) }
        api.get_price = { host, model, out in FakeHostTable.getPrice(host, model, out) }
        api.compute_cost = { host, model, tokensIn, tokensOut, tokensCached, out in
            FakeHostTable.computeCost(host, model, tokensIn, tokensOut, tokensCached, out)
        }
        api.raise_alert = { host, alert in FakeHostTable.raiseAlert(host, alert) }
        api.get_string = { call, property, out in
            FakeHostTable.onCall(call, .getString, present: out != nil) { c in
                switch c.stringProperty(property) {
                case .failure(let status): return status
                case .success(nil): return .notFound
                case .success(let value?):
                    out!.pointee = c.borrow(value)
                    return .ok
                }
            }
        }
        api.get_int = { call, property, out in
            FakeHostTable.onCall(call, .getInt, present: out != nil) { c in
                switch c.intProperty(property) {
                case .failure(let status): return status
                case .success(nil): return .notFound
                case .success(let value?):
                    out!.pointee = value
                    return .ok
                }
            }
        }
        api.set_max_output_tokens = { call, tokens in
            FakeHostTable.onCall(call, .setMaxOutputTokens) { c in
                guard tokens > 0 else { return .invalidArgument }
                c.maxOutputTokens = tokens
                return .ok
            }
        }
        api.prompt_segment_count = { call, out in
            FakeHostTable.onCall(call, .promptSegmentCount, present: out != nil) { c in
                out!.pointee = c.prompt.count
                return .ok
            }
        }
        api.get_prompt_segment = { call, index, textOut, roleOut in
            FakeHostTable.onCall(call, .getPromptSegment, present: textOut != nil, roleOut != nil) { c in
                guard index < c.prompt.count else { return .notFound }
                textOut!.pointee = c.borrow(c.prompt[index].text)
                roleOut?.pointee = c.borrow(c.prompt[index].role)
                return .ok
            }
        }
        api.set_prompt_segment = { call, index, text in
            FakeHostTable.onCall(call, .setPromptSegment) { c in
                guard let text = FakeHostTable.string(text) else { return .invalidArgument }
                guard index < c.prompt.count else { return .notFound }
                c.prompt[index].text = text
                return .ok
            }
        }
        api.get_body = { call, out in
            FakeHostTable.onCall(call, .getBody, present: out != nil) { c in
                out!.pointee = c.borrow(c.renderBody())
                return .ok
            }
        }
        api.set_body = { call, body in
            FakeHostTable.onCall(call, .setBody) { c in
                guard let body = FakeHostTable.string(body), c.adoptBody(body) else { return .invalidArgument }
                c.bodiesSet.append(body)
                return .ok
            }
        }
        api.map_count = { call, map, out in
            FakeHostTable.onCall(call, .mapCount, present: out != nil) { c in
                switch c.mapEntries(map) {
                case .failure(let status): return status
                case .success(let entries):
                    out!.pointee = entries.count
                    return .ok
                }
            }
        }
        api.map_get = { call, map, key, out in
            FakeHostTable.onCall(call, .mapGet, present: out != nil) { c in
                guard let key = FakeHostTable.string(key) else { return .invalidArgument }
                switch c.mapEntries(map) {
                case .failure(let status): return status
                case .success(let entries):
                    let isHeaders = CallMap.map(map)?.caseInsensitiveKeys ?? false
                    let wanted = isHeaders ? key.lowercased() : key
                    guard let value = entries.first(where: { (isHeaders ? $0.key.lowercased() : $0.key) == wanted })?.value
                    else { return .notFound }
                    out!.pointee = c.borrow(value)
                    return .ok
                }
            }
        }
        api.map_entry = { call, map, index, keyOut, valueOut in
            FakeHostTable.onCall(call, .mapEntry, present: keyOut != nil, valueOut != nil) { c in
                switch c.mapEntries(map) {
                case .failure(let status): return status
                case .success(let entries):
                    guard index < entries.count else { return .notFound }
                    keyOut?.pointee = c.borrow(entries[index].key)
                    valueOut?.pointee = c.borrow(entries[index].value)
                    return .ok
                }
            }
        }
        api.map_set = { call, map, key, value in
            FakeHostTable.onCall(call, .mapSet) { c in
                guard let key = FakeHostTable.string(key), !key.isEmpty, let value = FakeHostTable.string(value)
                else { return .invalidArgument }
                return c.setMapValue(map, key: key, value: value)
            }
        }
        api.set_error = { call, status, type, code, message in
            FakeHostTable.onCall(call, .setError) { c in
                guard ArgumentRules.errorStatuses.contains(status),
                      let type = FakeHostTable.string(type), !type.isEmpty,
                      let code = FakeHostTable.string(code), let message = FakeHostTable.string(message)
                else { return .invalidArgument }
                c.error = FakeCall.ErrorDetails(status: status, type: type, code: code, message: message)
                return .ok
            }
        }
        api.set_response = { call, status, contentType, body in
            FakeHostTable.onCall(call, .setResponse) { c in
                guard ArgumentRules.responseStatuses.contains(status), let contentType = FakeHostTable.string(contentType),
                      HTTPHeaderRules.isValidValue(contentType)
                else { return .invalidArgument }
                c.response = FakeCall.Response(status: status,
                                               contentType: contentType.isEmpty ? ArgumentRules.defaultContentType : contentType,
                                               body: FakeHostTable.bytesAsText(body))
                return .ok
            }
        }
        api.get_chunk_text = { call, out in
            FakeHostTable.onCall(call, .getChunkText, present: out != nil) { c in
                out!.pointee = c.borrow(c.chunkText)
                return .ok
            }
        }
        api.set_chunk_text = { call, text in
            FakeHostTable.onCall(call, .setChunkText) { c in
                guard let text = FakeHostTable.string(text) else { return .invalidArgument }
                c.chunkText = text
                c.chunkTextReplaced = true
                return .ok
            }
        }
        api.get_chunk_raw = { call, out in
            FakeHostTable.onCall(call, .getChunkRaw, present: out != nil) { c in
                out!.pointee = c.borrow(c.chunkRaw)
                return .ok
            }
        }
        api.set_chunk_raw = { call, raw in
            FakeHostTable.onCall(call, .setChunkRaw) { c in
                guard let raw = FakeHostTable.string(raw) else { return .invalidArgument }
                c.chunkRaw = raw
                c.chunkRawReplaced = true
                return .ok
            }
        }
        installCounters(&api)  // added in 1.1 (FakeCounters.swift)
        installRouting(&api)  // added in 1.2 (FakeHostTable+Routing.swift)
        installHostStrings(&api)  // added in 1.2 (FakeHost+HostStrings.swift)
        installRoutes(&api)  // added in 1.4 (FakeHostTable+Routes.swift)
        installGrants(&api)  // added in 1.5 (FakeHost+Grants.swift)
        installLedger(&api)  // added in 1.6 (FakeHost+Ledger.swift)
        let storage = UnsafeMutablePointer<tollgate_type_host_api>.allocate(capacity: 1)
        storage.initialize(to: api)
        return UnsafePointer(storage)
    }()

    // MARK: Plumbing

    static func host(_ pointer: OpaquePointer?) -> FakeHost? {
        pointer.map { Unmanaged<FakeHost>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
    }

    /// Runs `body` on the call behind `pointer` if the ABI's rules for
    /// `function` let it run there: the required out-parameters are there
    /// (`present`, in argument order) and the call is in one of the
    /// function's phases.
    static func onCall(_ pointer: OpaquePointer?, _ function: HostFunction, present first: Bool = true, _ second: Bool = true,
                       _ body: (FakeCall) -> HostStatus) -> tollgate_type_status {
        guard let pointer else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
        let call = Unmanaged<FakeCall>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
        if let refusal = function.refusal(in: call.phase, present: first, second) { return refusal }
        return body(call).rawValue
    }

    /// Bytes a plugin lent, as text (a body need not be UTF-8; the fake
    /// keeps it as a String for tests to read).
    static func bytesAsText(_ s: tollgate_type_str) -> String {
        guard let ptr = s.ptr, s.len > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: ptr, count: s.len), as: UTF8.self)
    }

    /// A plugin-lent string, or nil if it is malformed (NULL with a length,
    /// or not UTF-8) — the host's INVALID_ARGUMENT.
    static func string(_ s: tollgate_type_str) -> String? {
        if s.len == 0 { return "" }
        guard let ptr = s.ptr else { return nil }
        let bytes = UnsafeRawBufferPointer(start: ptr, count: s.len)
        let invalid = transcode(bytes.makeIterator(), from: UTF8.self, to: UTF32.self, stoppingOnError: true) { _ in }
        return invalid ? nil : String(decoding: bytes, as: UTF8.self)
    }

    // MARK: Host-level callbacks

    static func log(_ hostPointer: OpaquePointer?, _ callPointer: OpaquePointer?, _ level: Int32,
                    _ message: tollgate_type_str) -> tollgate_type_status {
        guard let host = host(hostPointer), let message = string(message), let level = LogLevel(rawValue: level)
        else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
        var requestID: String?
        if let callPointer {
            let call = Unmanaged<FakeCall>.fromOpaque(UnsafeRawPointer(callPointer)).takeUnretainedValue()
            guard HostFunction.loggedCallPhases.contains(call.phase) else { return TOLLGATE_STATUS_WRONG_PHASE }
            requestID = call.requestID
        }
        host.recordings.withLock { $0.logs.append(FakeHost.LogLine(level: level, message: message, requestID: requestID)) }
        return TOLLGATE_STATUS_OK
    }

    static func metricDefine(_ hostPointer: OpaquePointer?, _ kind: Int32, _ name: tollgate_type_str,
                             _ help: tollgate_type_str, _ labels: tollgate_type_str,
                             _ idOut: UnsafeMutablePointer<UInt32>?) -> tollgate_type_status {
        guard let host = host(hostPointer) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
        if let refusal = HostFunction.metricDefine.refusal(in: host.phase, present: idOut != nil) { return refusal }
        guard let idOut, let kind = Metric.Kind(rawValue: kind),
              let name = string(name), isMetricName(name), let help = string(help), let labels = string(labels)
        else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
        let labelNames = labels.isEmpty ? [] : labels.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard labelNames.allSatisfy(isMetricName) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
        return host.recordings.withLock { r in
            if let existing = r.definitions.first(where: { $0.name == name }) {
                guard existing.kind == kind, existing.labelNames == labelNames else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
                idOut.pointee = existing.id
                return TOLLGATE_STATUS_OK
            }
            let id = UInt32(r.definitions.count + 1)
            r.definitions.append(FakeHost.MetricDefinition(id: id, kind: kind, name: name, help: help, labelNames: labelNames))
            idOut.pointee = id
            return TOLLGATE_STATUS_OK
        }
    }

    static func metricRecord(_ hostPointer: OpaquePointer?, _ id: UInt32, _ values: UnsafePointer<tollgate_type_str>?,
                             _ count: Int, _ value: Double) -> tollgate_type_status {
        guard let host = host(hostPointer), let labels = labelValues(values, count) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
        return host.recordings.withLock { r in record(value, id: id, labels: labels, in: &r) }
    }

    /// Handles are 1 + the index in `series`; the same id and labels give
    /// the same handle.
    static func metricSeries(_ hostPointer: OpaquePointer?, _ id: UInt32, _ values: UnsafePointer<tollgate_type_str>?,
                             _ count: Int, _ seriesOut: UnsafeMutablePointer<UInt64>?) -> tollgate_type_status {
        guard let host = host(hostPointer) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
        if let refusal = HostFunction.metricSeries.refusal(in: host.phase, present: seriesOut != nil) { return refusal }
        guard let seriesOut, let labels = labelValues(values, count) else {
            return TOLLGATE_STATUS_INVALID_ARGUMENT
        }
        return host.recordings.withLock { r in
            guard let definition = r.definitions.first(where: { $0.id == id }), definition.labelNames.count == count else {
                return TOLLGATE_STATUS_INVALID_ARGUMENT
            }
            if let index = r.series.firstIndex(where: { $0.id == id && $0.labels == labels }) {
                seriesOut.pointee = UInt64(index + 1)
            } else {
                r.series.append((id, labels))
                seriesOut.pointee = UInt64(r.series.count)
            }
            return TOLLGATE_STATUS_OK
        }
    }

    static func metricSeriesRecord(_ hostPointer: OpaquePointer?, _ series: UInt64, _ value: Double) -> tollgate_type_status {
        guard let host = host(hostPointer) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
        return host.recordings.withLock { r in
            guard series > 0, series <= UInt64(r.series.count) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            let (id, labels) = r.series[Int(series - 1)]
            return record(value, id: id, labels: labels, in: &r)
        }
    }

    private static func record(_ value: Double, id: UInt32, labels: [String], in r: inout FakeHost.Recordings) -> tollgate_type_status {
        guard !value.isNaN, let definition = r.definitions.first(where: { $0.id == id }),
              definition.labelNames.count == labels.count,
              definition.kind != .counter || value >= 0
        else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
        r.records.append(FakeHost.MetricRecord(name: definition.name, kind: definition.kind, labels: labels, value: value))
        return TOLLGATE_STATUS_OK
    }

    private static func labelValues(_ values: UnsafePointer<tollgate_type_str>?, _ count: Int) -> [String]? {
        guard count == 0 || values != nil else { return nil }
        var labels: [String] = []
        for i in 0..<count {
            guard let label = string(values![i]) else { return nil }
            labels.append(label)
        }
        return labels
    }

    static func getPrice(_ hostPointer: OpaquePointer?, _ model: tollgate_type_str,
                         _ out: UnsafeMutablePointer<tollgate_type_price>?) -> tollgate_type_status {
        guard let host = host(hostPointer) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
        if let refusal = HostFunction.getPrice.refusal(in: host.phase, present: out != nil) { return refusal }
        guard let out, let model = string(model) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
        guard let price = host.catalog[model] else { return TOLLGATE_STATUS_NOT_FOUND }
        // Fill only the fields the caller's struct_size says it has.
        let size = Int(out.pointee.struct_size)
        func fits(_ field: PartialKeyPath<tollgate_type_price>) -> Bool {
            MemoryLayout<tollgate_type_price>.offset(of: field)! + MemoryLayout<Int64>.size <= size
        }
        if fits(\tollgate_type_price.input_per_mtok_nanos) { out.pointee.input_per_mtok_nanos = price.inputPerMtokNanos }
        if fits(\tollgate_type_price.output_per_mtok_nanos) { out.pointee.output_per_mtok_nanos = price.outputPerMtokNanos }
        if fits(\tollgate_type_price.cached_per_mtok_nanos) { out.pointee.cached_per_mtok_nanos = price.cachedPerMtokNanos }
        return TOLLGATE_STATUS_OK
    }

    static func computeCost(_ hostPointer: OpaquePointer?, _ model: tollgate_type_str, _ tokensIn: Int64,
                            _ tokensOut: Int64, _ tokensCached: Int64,
                            _ out: UnsafeMutablePointer<Int64>?) -> tollgate_type_status {
        guard let host = host(hostPointer) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
        if let refusal = HostFunction.computeCost.refusal(in: host.phase, present: out != nil) { return refusal }
        guard let out, let model = string(model) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
        guard let price = host.catalog[model] else { return TOLLGATE_STATUS_NOT_FOUND }
        guard let cost = FakeHost.cost(price: price, tokensIn: tokensIn, tokensOut: tokensOut, tokensCached: tokensCached)
        else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
        out.pointee = cost
        return TOLLGATE_STATUS_OK
    }

    static func raiseAlert(_ hostPointer: OpaquePointer?, _ alert: UnsafePointer<tollgate_type_alert>?) -> tollgate_type_status {
        guard let host = host(hostPointer), let alert,
              Int(alert.pointee.struct_size) >= MemoryLayout<tollgate_type_alert>.size,
              let severity = Alert.Severity(rawValue: alert.pointee.severity),
              let kind = string(alert.pointee.kind), !kind.isEmpty,
              let subject = string(alert.pointee.subject),
              let message = string(alert.pointee.message),
              let dedupeKey = string(alert.pointee.dedupe_key),
              let detailsText = string(alert.pointee.details_json)
        else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
        var details: JSONValue?
        if !detailsText.isEmpty {
            guard let parsed = try? JSONValue.parse(detailsText), parsed.objectValue != nil else {
                return TOLLGATE_STATUS_INVALID_ARGUMENT
            }
            details = parsed
        }
        let recorded = Alert(severity: severity, kind: kind, subject: subject, message: message,
                             dedupeKey: dedupeKey, details: details)
        host.recordings.withLock { $0.alerts.append(recorded) }
        return TOLLGATE_STATUS_OK
    }

    /// [a-zA-Z_:][a-zA-Z0-9_:]*
    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.utf8.first else { return false }
        func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A || b == 0x5F || b == 0x3A }
        return isLetter(first) && name.utf8.allSatisfy { isLetter($0) || (0x30...0x39).contains($0) }
    }
}

extension FakeCall {
    /// The entries of a map, or the status reading it answers in this hook.
    func mapEntries(_ map: Int32) -> Result<[(key: String, value: String)], HostStatus> {
        if let refusal = CallMap.readRefusal(map, in: phase) { return .failure(HostStatus(rawValue: refusal)) }
        switch map {
        case TOLLGATE_MAP_REQUEST_HEADERS:
            return .success(requestHeaders.filter { $0.key != "authorization" && $0.key != "x-api-key" })
        case TOLLGATE_MAP_ATTRIBUTES: return .success(attributes)
        case TOLLGATE_MAP_METADATA: return .success(metadata)
        case TOLLGATE_MAP_RESPONSE_HEADERS: return .success(responseHeaders)
        default: return .success(upstreamHeaders)
        }
    }

    /// The fake's "response headers were sent" is `firstByteSent`.
    func setMapValue(_ map: Int32, key: String, value: String) -> HostStatus {
        if let refusal = CallMap.writeRefusal(map, in: phase, headersSent: firstByteSent) {
            return HostStatus(rawValue: refusal)
        }
        if map == TOLLGATE_MAP_ATTRIBUTES {
            Self.set(&attributes, key, value)
        } else {
            guard HTTPHeaderRules.isValidName(key), HTTPHeaderRules.isValidValue(value) else { return .invalidArgument }
            Self.set(&responseHeaders, key.lowercased(), value)
        }
        return .ok
    }

    private static func set(_ entries: inout [(key: String, value: String)], _ key: String, _ value: String) {
        if let index = entries.firstIndex(where: { $0.key == key }) {
            entries[index].value = value
        } else {
            entries.append((key, value))
        }
    }
}
