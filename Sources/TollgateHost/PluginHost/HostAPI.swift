import CTollgatePlugin
import Foundation
import Logging
import TollgateABI
import TollgateJSON
import TollgateSupport
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// The host API table handed to every plugin's on_create: one static table
/// for the process; the host and call handles say which instance and which
/// request a call is about. Where each function works, and which
/// out-parameters may be NULL, is not decided here: every function asks
/// TollgateABI's rules (`HostFunction`, `CallProperty`, `CallMap`), the
/// same rules the test kit's fake host asks.
enum HostAPI {
    static let table: UnsafeMutablePointer<tollgate_type_host_api> = {
        let t = UnsafeMutablePointer<tollgate_type_host_api>.allocate(capacity: 1)
        t.initialize(to: tollgate_type_host_api())
        t.pointee.struct_size = UInt32(MemoryLayout<tollgate_type_host_api>.size)
        t.pointee.abi_major = UInt16(TOLLGATE_ABI_MAJOR)
        t.pointee.abi_minor = UInt16(TOLLGATE_ABI_MINOR)
        t.pointee.log = hostLog
        t.pointee.metric_define = hostMetricDefine
        t.pointee.metric_record = hostMetricRecord
        t.pointee.get_price = hostGetPrice
        t.pointee.compute_cost = hostComputeCost
        t.pointee.raise_alert = hostRaiseAlert
        t.pointee.get_string = hostGetString
        t.pointee.get_int = hostGetInt
        t.pointee.set_model = hostSetModel
        t.pointee.set_max_output_tokens = hostSetMaxOutputTokens
        t.pointee.prompt_segment_count = hostPromptSegmentCount
        t.pointee.get_prompt_segment = hostGetPromptSegment
        t.pointee.set_prompt_segment = hostSetPromptSegment
        t.pointee.get_body = hostGetBody
        t.pointee.set_body = hostSetBody
        t.pointee.map_count = hostMapCount
        t.pointee.map_get = hostMapGet
        t.pointee.map_entry = hostMapEntry
        t.pointee.map_set = hostMapSet
        t.pointee.set_error = hostSetError
        t.pointee.set_response = hostSetResponse
        t.pointee.get_chunk_text = hostGetChunkText
        t.pointee.set_chunk_text = hostSetChunkText
        t.pointee.get_chunk_raw = hostGetChunkRaw
        t.pointee.set_chunk_raw = hostSetChunkRaw
        installCounterCallbacks(t)  // added in 1.1
        t.pointee.get_host_string = hostGetHostString  // added in 1.2
        t.pointee.set_fallback_models = hostSetFallbackModels
        t.pointee.set_deployment = hostSetDeployment
        t.pointee.metric_series = hostMetricSeries  // added in 1.3
        t.pointee.metric_series_record = hostMetricSeriesRecord
        installRouteCallbacks(t)  // added in 1.4
        installGrantCallbacks(t)  // added in 1.5 (and counter_reserve_capped with the counters)
        installLedgerCallbacks(t)  // added in 1.6
        return t
    }()
}

private let OK = tollgate_type_status(TOLLGATE_STATUS_OK)
private let NOT_FOUND = tollgate_type_status(TOLLGATE_STATUS_NOT_FOUND)
private let INVALID = tollgate_type_status(TOLLGATE_STATUS_INVALID_ARGUMENT)
private let WRONG_PHASE = tollgate_type_status(TOLLGATE_STATUS_WRONG_PHASE)

// MARK: logging, metrics, catalog, alerts

private let hostLog: tollgate_callback_log = { host, call, level, message in
    guard let host = HostContext.from(host) else { return INVALID }
    let call = CallContext.from(call)
    if let call, !HostFunction.loggedCallPhases.contains(call.phase) { return WRONG_PHASE }
    let swiftLevel: Logger.Level
    switch level {
    case TOLLGATE_LOG_TRACE: swiftLevel = .trace
    case TOLLGATE_LOG_DEBUG: swiftLevel = .debug
    case TOLLGATE_LOG_INFO: swiftLevel = .info
    case TOLLGATE_LOG_WARNING: swiftLevel = .warning
    case TOLLGATE_LOG_ERROR: swiftLevel = .error
    default: return INVALID
    }
    var metadata: Logger.Metadata = [:]
    if let call { metadata["request_id"] = .string(call.requestID) }
    host.logger.log(level: swiftLevel, "\(message.string)", metadata: metadata)
    return OK
}

private let hostMetricDefine: tollgate_callback_metric_define = { host, kind, name, help, labelNames, idOut in
    guard let host = HostContext.from(host) else { return INVALID }
    if let refusal = HostFunction.metricDefine.refusal(in: host.phase, present: idOut != nil) { return refusal }
    guard let idOut, let kind = GatewayMetrics.Kind(rawValue: kind),
          let name = name.validatedString, let help = help.validatedString, let labels = labelNames.validatedString
    else { return INVALID }
    let names = labels.isEmpty ? [] : labels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    guard let id = try? host.services.metrics.define(kind: kind, name: name, help: help, labelNames: names) else {
        return INVALID
    }
    idOut.pointee = id
    return OK
}

private let hostMetricRecord: tollgate_callback_metric_record = { host, id, values, count, value in
    guard let host = HostContext.from(host), let labels = labelValues(values, count) else { return INVALID }
    return host.services.metrics.record(id: id, labelValues: labels, value: value) ? OK : INVALID
}

private let hostMetricSeries: tollgate_callback_metric_series = { host, id, values, count, seriesOut in
    guard let host = HostContext.from(host) else { return INVALID }
    if let refusal = HostFunction.metricSeries.refusal(in: host.phase, present: seriesOut != nil) { return refusal }
    guard let seriesOut, let labels = labelValues(values, count),
          let handle = host.services.metrics.seriesHandle(id: id, labelValues: labels) else { return INVALID }
    seriesOut.pointee = handle
    return OK
}

private let hostMetricSeriesRecord: tollgate_callback_metric_series_record = { host, series, value in
    guard let host = HostContext.from(host) else { return INVALID }
    return host.services.metrics.record(series: series, value: value) ? OK : INVALID
}

/// A metric's label values; nil when one is not UTF-8 or the array is NULL.
private func labelValues(_ values: UnsafePointer<tollgate_type_str>?, _ count: Int) -> [String]? {
    guard count == 0 || values != nil else { return nil }
    var labels: [String] = []
    labels.reserveCapacity(count)
    for i in 0..<count {
        guard let s = values![i].validatedString else { return nil }
        labels.append(s)
    }
    return labels
}

private let hostGetPrice: tollgate_callback_get_price = { host, model, priceOut in
    guard let host = HostContext.from(host) else { return INVALID }
    if let refusal = HostFunction.getPrice.refusal(in: host.phase, present: priceOut != nil) { return refusal }
    guard let priceOut, let model = model.validatedString else { return INVALID }
    guard let entry = host.catalog.model(named: model) else { return NOT_FOUND }
    let size = priceOut.pointee.struct_size
    if ABIStruct.contains(\tollgate_type_price.input_per_mtok_nanos, size: size) {
        priceOut.pointee.input_per_mtok_nanos = entry.price.inputPerMTokNanos
    }
    if ABIStruct.contains(\tollgate_type_price.output_per_mtok_nanos, size: size) {
        priceOut.pointee.output_per_mtok_nanos = entry.price.outputPerMTokNanos
    }
    if ABIStruct.contains(\tollgate_type_price.cached_per_mtok_nanos, size: size) {
        priceOut.pointee.cached_per_mtok_nanos = entry.price.cachedPerMTokNanos
    }
    return OK
}

private let hostComputeCost: tollgate_callback_compute_cost = { host, model, tokensIn, tokensOut, tokensCached, costOut in
    guard let host = HostContext.from(host) else { return INVALID }
    if let refusal = HostFunction.computeCost.refusal(in: host.phase, present: costOut != nil) { return refusal }
    guard let costOut, let model = model.validatedString else { return INVALID }
    guard let entry = host.catalog.model(named: model) else { return NOT_FOUND }
    guard let cost = Cost.nanos(price: entry.price, tokensIn: tokensIn, tokensOut: tokensOut, tokensCached: tokensCached) else {
        return INVALID
    }
    costOut.pointee = cost
    return OK
}

private let hostRaiseAlert: tollgate_callback_raise_alert = { host, alert in
    guard let host = HostContext.from(host), let alert else { return INVALID }
    let a = alert.pointee
    guard ABIStruct.contains(\tollgate_type_alert.details_json, size: a.struct_size),
          let severity = Alert.Severity(rawValue: a.severity),
          let kind = a.kind.validatedString, let subject = a.subject.validatedString,
          let message = a.message.validatedString, let dedupe = a.dedupe_key.validatedString,
          let details = a.details_json.validatedString, !kind.isEmpty, !dedupe.isEmpty
    else { return INVALID }
    host.services.alerts.raise(Alert(severity: severity, kind: kind, subject: subject, message: message,
                                     dedupeKey: dedupe, detailsJSON: details, source: host.instanceName))
    return OK
}

// MARK: properties

private let hostGetString: tollgate_callback_get_string = { call, property, valueOut in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.getString, present: valueOut != nil)
        ?? call.counted(.getString, CallProperty.refusal(reading: property, as: .string, in: call.phase)) {
        return refusal
    }
    guard let value = call.stringProperty(property) else { return NOT_FOUND }
    valueOut!.pointee = call.arena.lend(value)
    return OK
}

private let hostGetInt: tollgate_callback_get_int = { call, property, valueOut in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.getInt, present: valueOut != nil)
        ?? call.counted(.getInt, CallProperty.refusal(reading: property, as: .int, in: call.phase)) {
        return refusal
    }
    guard let value = call.intProperty(property) else { return NOT_FOUND }
    valueOut!.pointee = value
    return OK
}

// MARK: request view

private let hostSetModel: tollgate_callback_set_model = { call, model in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.setModel) { return refusal }
    guard let model = model.validatedString, !model.isEmpty else { return INVALID }
    if model != call.request.model { call.pinnedDeployment = nil }
    call.request.setModel(model)
    return OK
}

// MARK: host properties, fallbacks, deployments (1.2)

private let hostGetHostString: tollgate_callback_get_host_string = { host, property, valueOut in
    guard let host = HostContext.from(host) else { return INVALID }
    if let refusal = HostFunction.getHostString.refusal(in: host.phase, present: valueOut != nil) { return refusal }
    guard let valueOut else { return INVALID }
    guard let value = host.hostString(property) else { return INVALID }
    valueOut.pointee = value
    return OK
}

private let hostSetFallbackModels: tollgate_callback_set_fallback_models = { call, models, count in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.setFallbackModels) { return refusal }
    guard count <= ArgumentRules.maxFallbackModels, count == 0 || models != nil else { return INVALID }
    var list: [String] = []
    for i in 0..<count {
        guard let name = models![i].validatedString, !name.isEmpty else { return INVALID }
        list.append(name)
    }
    call.fallbackModels = list
    return OK
}

private let hostSetDeployment: tollgate_callback_set_deployment = { call, deployment in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.setDeployment) { return refusal }
    guard let name = deployment.validatedString, !name.isEmpty else { return INVALID }
    guard let entry = call.catalog.model(named: call.request.model),
          entry.deployments.contains(where: { $0.name == name }) else { return NOT_FOUND }
    call.pinnedDeployment = name
    return OK
}

private let hostSetMaxOutputTokens: tollgate_callback_set_max_output_tokens = { call, tokens in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.setMaxOutputTokens) { return refusal }
    guard tokens > 0 else { return INVALID }
    call.request.setMaxOutputTokens(tokens)
    return OK
}

private let hostPromptSegmentCount: tollgate_callback_prompt_segment_count = { call, countOut in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.promptSegmentCount, present: countOut != nil) { return refusal }
    countOut!.pointee = call.request.segments.count
    return OK
}

private let hostGetPromptSegment: tollgate_callback_get_prompt_segment = { call, index, textOut, roleOut in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.getPromptSegment, present: textOut != nil, roleOut != nil) { return refusal }
    guard index < call.request.segments.count else { return NOT_FOUND }
    let segment = call.request.segments[index]
    textOut!.pointee = call.arena.lend(segment.text)
    roleOut?.pointee = call.arena.lend(segment.role)
    return OK
}

private let hostSetPromptSegment: tollgate_callback_set_prompt_segment = { call, index, text in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.setPromptSegment) { return refusal }
    guard let text = text.validatedString else { return INVALID }
    return call.request.setSegment(index, text: text) ? OK : NOT_FOUND
}

private let hostGetBody: tollgate_callback_get_body = { call, bodyOut in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.getBody, present: bodyOut != nil) { return refusal }
    bodyOut!.pointee = call.arena.lend(call.request.body)
    return OK
}

private let hostSetBody: tollgate_callback_set_body = { call, body in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.setBody) { return refusal }
    do {
        try call.request.setBody(body.bytes)
        return OK
    } catch {
        return INVALID
    }
}

// MARK: maps

/// A map the running hook may read (TollgateABI's CallMap says which and
/// where), or the status refusing it.
private func readMap(_ call: CallContext, _ map: Int32, _ function: HostFunction) -> Result<HeaderList, MapRefusal> {
    if let refusal = call.counted(function, CallMap.readRefusal(map, in: call.phase)) {
        return .failure(MapRefusal(status: refusal))
    }
    switch map {
    case TOLLGATE_MAP_REQUEST_HEADERS: return .success(call.requestHeaders)
    case TOLLGATE_MAP_ATTRIBUTES: return .success(call.attributes)
    case TOLLGATE_MAP_METADATA: return .success(HeaderList(call.request.metadata, caseInsensitive: false))
    case TOLLGATE_MAP_RESPONSE_HEADERS: return .success(call.responseHeaders)
    default: return .success(call.upstreamHeaders)
    }
}

private struct MapRefusal: Error {
    let status: tollgate_type_status
}

private let hostMapCount: tollgate_callback_map_count = { call, map, countOut in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.mapCount, present: countOut != nil) { return refusal }
    switch readMap(call, map, .mapCount) {
    case .failure(let refusal): return refusal.status
    case .success(let list):
        countOut!.pointee = list.count
        return OK
    }
}

private let hostMapGet: tollgate_callback_map_get = { call, map, key, valueOut in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.mapGet, present: valueOut != nil) { return refusal }
    guard let key = key.validatedString else { return INVALID }
    switch readMap(call, map, .mapGet) {
    case .failure(let refusal): return refusal.status
    case .success(let list):
        guard let value = list[key] else { return NOT_FOUND }
        valueOut!.pointee = call.arena.lend(value)
        return OK
    }
}

private let hostMapEntry: tollgate_callback_map_entry = { call, map, index, keyOut, valueOut in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.mapEntry, present: keyOut != nil, valueOut != nil) { return refusal }
    switch readMap(call, map, .mapEntry) {
    case .failure(let refusal): return refusal.status
    case .success(let list):
        guard index < list.count else { return NOT_FOUND }
        let entry = list.entries[index]
        keyOut?.pointee = call.arena.lend(entry.name)
        valueOut?.pointee = call.arena.lend(entry.value)
        return OK
    }
}

private let hostMapSet: tollgate_callback_map_set = { call, map, key, value in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.mapSet) { return refusal }
    guard let key = key.validatedString, !key.isEmpty, let value = value.validatedString else { return INVALID }
    if let refusal = call.counted(.mapSet, CallMap.writeRefusal(map, in: call.phase, headersSent: call.headersSent)) {
        return refusal
    }
    if map == TOLLGATE_MAP_ATTRIBUTES {
        call.attributes.set(key, value)
    } else {
        guard HTTPHeaderRules.isValidName(key), HTTPHeaderRules.isValidValue(value) else { return INVALID }
        call.responseHeaders.set(key, value)
    }
    return OK
}

// MARK: verdict details

private let hostSetError: tollgate_callback_set_error = { call, status, type, code, message in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.setError) { return refusal }
    guard ArgumentRules.errorStatuses.contains(status), let type = type.validatedString, !type.isEmpty,
          let code = code.validatedString, let message = message.validatedString else { return INVALID }
    call.pluginError = GatewayError(status: Int(status), type: type, code: code.isEmpty ? nil : code, message: message)
    return OK
}

private let hostSetResponse: tollgate_callback_set_response = { call, status, contentType, body in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.setResponse) { return refusal }
    guard ArgumentRules.responseStatuses.contains(status), let contentType = contentType.validatedString,
          HTTPHeaderRules.isValidValue(contentType) else { return INVALID }
    call.pluginResponse = (Int(status), contentType.isEmpty ? ArgumentRules.defaultContentType : contentType, body.bytes)
    return OK
}

// MARK: chunks

private let hostGetChunkText: tollgate_callback_get_chunk_text = { call, textOut in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.getChunkText, present: textOut != nil) ?? call.eventRefusal(.getChunkText) { return refusal }
    textOut!.pointee = call.arena.lend(call.currentEvent!.text())
    return OK
}

private let hostSetChunkText: tollgate_callback_set_chunk_text = { call, text in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.setChunkText) ?? call.eventRefusal(.setChunkText) { return refusal }
    guard let text = text.validatedString else { return INVALID }
    call.currentEvent!.setText(text)
    return OK
}

private let hostGetChunkRaw: tollgate_callback_get_chunk_raw = { call, rawOut in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.getChunkRaw, present: rawOut != nil) ?? call.eventRefusal(.getChunkRaw) { return refusal }
    rawOut!.pointee = call.arena.lend(call.currentEvent!.data)
    return OK
}

private let hostSetChunkRaw: tollgate_callback_set_chunk_raw = { call, raw in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.setChunkRaw) ?? call.eventRefusal(.setChunkRaw) { return refusal }
    call.currentEvent!.setRaw(raw.bytes)
    return OK
}
