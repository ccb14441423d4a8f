import CTollgatePlugin
import Foundation
import TollgateABI

/// The handles one probe runs against: a host table (the gateway's or the
/// fake's) and the host, call and route handles of that host, each in the
/// phase the test put it in.
struct ProbeHandles {
    let api: UnsafePointer<tollgate_type_host_api>
    let host: OpaquePointer
    let call: OpaquePointer
    let route: OpaquePointer
}

/// One host function called with fixed, valid arguments (setup calls
/// included, e.g. a counter declared before it is reserved), and where the
/// ABI's rules say it answers WRONG_PHASE.
struct ABIProbe {
    let function: HostFunction
    /// "get_string(model)", for messages.
    let label: String
    /// True when, with the handles in the phases of the test's `phase`, the
    /// rules refuse the call with WRONG_PHASE.
    let wrongPhase: (ABIPhase) -> Bool
    let run: (ProbeHandles) -> tollgate_type_status
}

/// The phase each handle is in when the test runs "in" `phase`: a host
/// handle is in create or not, a call in one of its hooks or idle, a route
/// in on_route or idle.
enum HandlePhase {
    static func host(_ phase: ABIPhase) -> ABIPhase { phase == .create ? .create : .idle }
    static func call(_ phase: ABIPhase) -> ABIPhase { ABIPhases.callHooks.contains(phase) ? phase : .idle }
    static func route(_ phase: ABIPhase) -> ABIPhase { phase == .route ? .route : .idle }
}

extension ABIProbe {
    /// A probe whose only phase rule is the function's own.
    init(_ function: HostFunction, _ label: String? = nil, run: @escaping (ProbeHandles) -> tollgate_type_status) {
        self.function = function
        self.label = label ?? function.name
        self.wrongPhase = { phase in
            switch function.handle {
            case .host: return !function.phases.contains(HandlePhase.host(phase))
            case .call: return !function.phases.contains(HandlePhase.call(phase))
            case .route: return !function.phases.contains(HandlePhase.route(phase))
            }
        }
        self.run = run
    }

    init(_ function: HostFunction, _ label: String, wrongPhase: @escaping (ABIPhase) -> Bool,
         run: @escaping (ProbeHandles) -> tollgate_type_status) {
        self.function = function
        self.label = label
        self.wrongPhase = wrongPhase
        self.run = run
    }

    /// Probes for every host function of the table (for get_string/get_int
    /// one per property, for the map functions one per map).
    static var all: [ABIProbe] { HostFunction.allCases.flatMap(probes(for:)) }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    static func probes(for function: HostFunction) -> [ABIProbe] {
        switch function {
        case .log:
            // With the call handle: the call must be in one of its hooks.
            return [ABIProbe(.log, "log(call)", wrongPhase: { !HostFunction.loggedCallPhases.contains(HandlePhase.call($0)) }) { h in
                lendStr("probe") { h.api.pointee.log!(h.host, h.call, TOLLGATE_LOG_INFO, $0) }
            }, ABIProbe(.log, "log(no call)") { h in
                lendStr("probe") { h.api.pointee.log!(h.host, nil, TOLLGATE_LOG_INFO, $0) }
            }]
        case .metricDefine:
            return [ABIProbe(.metricDefine) { h in defineMetric(h).status }]
        case .metricRecord:
            return [ABIProbe(.metricRecord) { h in
                h.api.pointee.metric_record!(h.host, defineMetric(h).id, nil, 0, 1)
            }]
        case .metricSeries:
            return [ABIProbe(.metricSeries) { h in
                var series: UInt64 = 0
                return h.api.pointee.metric_series!(h.host, defineMetric(h).id, nil, 0, &series)
            }]
        case .metricSeriesRecord:
            return [ABIProbe(.metricSeriesRecord) { h in
                var series: UInt64 = 0
                _ = h.api.pointee.metric_series!(h.host, defineMetric(h).id, nil, 0, &series)
                return h.api.pointee.metric_series_record!(h.host, series, 1)
            }]
        case .getPrice:
            return [ABIProbe(.getPrice) { h in
                var price = tollgate_type_price()
                price.struct_size = UInt32(MemoryLayout<tollgate_type_price>.size)
                return lendStr("small") { h.api.pointee.get_price!(h.host, $0, &price) }
            }]
        case .computeCost:
            return [ABIProbe(.computeCost) { h in
                var cost: Int64 = 0
                return lendStr("small") { h.api.pointee.compute_cost!(h.host, $0, 10, 10, 0, &cost) }
            }]
        case .raiseAlert:
            return [ABIProbe(.raiseAlert) { h in
                lendStrs(["probe_alert", "team/acme/payments", "a probe", "probe:1", ""]) { s in
                    var alert = tollgate_type_alert()
                    alert.struct_size = UInt32(MemoryLayout<tollgate_type_alert>.size)
                    alert.severity = TOLLGATE_ALERT_INFO
                    (alert.kind, alert.subject, alert.message, alert.dedupe_key, alert.details_json) = (s[0], s[1], s[2], s[3], s[4])
                    return h.api.pointee.raise_alert!(h.host, &alert)
                }
            }]
        case .getString, .getInt:
            let kind: CallProperty.Kind = function == .getString ? .string : .int
            return CallProperty.all.filter { $0.kind == kind }.map { property in
                ABIProbe(function, "\(function.name)(\(property.name))", wrongPhase: { phase in
                    let callPhase = HandlePhase.call(phase)
                    return !function.phases.contains(callPhase) || !property.phases.contains(callPhase)
                }) { h in
                    var string = tollgate_type_str()
                    var int: Int64 = 0
                    return kind == .string ? h.api.pointee.get_string!(h.call, property.id, &string)
                        : h.api.pointee.get_int!(h.call, property.id, &int)
                }
            }
        case .setModel:
            return [ABIProbe(.setModel) { h in lendStr("small") { h.api.pointee.set_model!(h.call, $0) } }]
        case .setMaxOutputTokens:
            return [ABIProbe(.setMaxOutputTokens) { h in h.api.pointee.set_max_output_tokens!(h.call, 100) }]
        case .promptSegmentCount:
            return [ABIProbe(.promptSegmentCount) { h in
                var count = 0
                return h.api.pointee.prompt_segment_count!(h.call, &count)
            }]
        case .getPromptSegment:
            return [ABIProbe(.getPromptSegment, "get_prompt_segment(text, role)") { h in
                var text = tollgate_type_str(), role = tollgate_type_str()
                return h.api.pointee.get_prompt_segment!(h.call, 0, &text, &role)
            }, ABIProbe(.getPromptSegment, "get_prompt_segment(text, NULL role)") { h in
                var text = tollgate_type_str()
                return h.api.pointee.get_prompt_segment!(h.call, 0, &text, nil)
            }, ABIProbe(.getPromptSegment, "get_prompt_segment(NULL text)", wrongPhase: { _ in false }) { h in
                // A missing required out-parameter is refused before the phase.
                var role = tollgate_type_str()
                return h.api.pointee.get_prompt_segment!(h.call, 0, nil, &role)
            }]
        case .setPromptSegment:
            return [ABIProbe(.setPromptSegment) { h in lendStr("edited") { h.api.pointee.set_prompt_segment!(h.call, 0, $0) } }]
        case .getBody:
            return [ABIProbe(.getBody) { h in
                var body = tollgate_type_str()
                return h.api.pointee.get_body!(h.call, &body)
            }]
        case .setBody:
            return [ABIProbe(.setBody) { h in
                lendStr(#"{"model":"small","messages":[{"role":"user","content":"hi"}]}"#) { h.api.pointee.set_body!(h.call, $0) }
            }]
        case .mapCount, .mapGet, .mapEntry:
            return CallMap.all.map { map in
                ABIProbe(function, "\(function.name)(\(map.name))", wrongPhase: { phase in
                    let callPhase = HandlePhase.call(phase)
                    return !function.phases.contains(callPhase) || !map.readPhases.contains(callPhase)
                }) { h in
                    var count = 0
                    var key = tollgate_type_str(), value = tollgate_type_str()
                    switch function {
                    case .mapCount: return h.api.pointee.map_count!(h.call, map.id, &count)
                    case .mapGet: return lendStr(probeKey(map)) { h.api.pointee.map_get!(h.call, map.id, $0, &value) }
                    default: return h.api.pointee.map_entry!(h.call, map.id, 0, &key, &value)
                    }
                }
            }
        case .mapSet:
            return CallMap.all.map { map in
                ABIProbe(.mapSet, "map_set(\(map.name))", wrongPhase: { phase in
                    let callPhase = HandlePhase.call(phase)
                    return !HostFunction.mapSet.phases.contains(callPhase)
                        || CallMap.writeRefusal(map.id, in: callPhase, headersSent: false) == TOLLGATE_STATUS_WRONG_PHASE
                }) { h in
                    lendStrs(["x-probe", "v"]) { s in h.api.pointee.map_set!(h.call, map.id, s[0], s[1]) }
                }
            }
        case .setError:
            return [ABIProbe(.setError) { h in
                lendStrs(["rate_limit_error", "", "probe"]) { s in h.api.pointee.set_error!(h.call, 429, s[0], s[1], s[2]) }
            }]
        case .setResponse:
            return [ABIProbe(.setResponse) { h in
                lendStrs(["application/json", "{}"]) { s in h.api.pointee.set_response!(h.call, 200, s[0], s[1]) }
            }]
        case .getChunkText:
            return [ABIProbe(.getChunkText) { h in
                var text = tollgate_type_str()
                return h.api.pointee.get_chunk_text!(h.call, &text)
            }]
        case .setChunkText:
            return [ABIProbe(.setChunkText) { h in lendStr("x") { h.api.pointee.set_chunk_text!(h.call, $0) } }]
        case .getChunkRaw:
            return [ABIProbe(.getChunkRaw) { h in
                var raw = tollgate_type_str()
                return h.api.pointee.get_chunk_raw!(h.call, &raw)
            }]
        case .setChunkRaw:
            return [ABIProbe(.setChunkRaw) { h in lendStr("{}") { h.api.pointee.set_chunk_raw!(h.call, $0) } }]
        case .counterDeclare:
            return [ABIProbe(.counterDeclare) { h in declareCounter(h).status }]
        case .counterReserve:
            return [ABIProbe(.counterReserve) { h in reserve(h, declareCounter(h).id).status }]
        case .counterSettle:
            return [ABIProbe(.counterSettle) { h in
                var amounts: [Int64] = [1]
                return h.api.pointee.counter_settle!(h.host, reserve(h, declareCounter(h).id).reservation, &amounts, 1)
            }]
        case .counterRelease:
            return [ABIProbe(.counterRelease) { h in
                h.api.pointee.counter_release!(h.host, reserve(h, declareCounter(h).id).reservation)
            }]
        case .counterAdd:
            return [ABIProbe(.counterAdd) { h in h.api.pointee.counter_add!(h.host, declareCounter(h).id, 1) }]
        case .counterGet:
            return [ABIProbe(.counterGet) { h in
                var state = tollgate_type_counter_state()
                state.struct_size = UInt32(MemoryLayout<tollgate_type_counter_state>.size)
                return h.api.pointee.counter_get!(h.host, declareCounter(h).id, &state)
            }]
        case .getHostString:
            return [ABIProbe(.getHostString) { h in
                var value = tollgate_type_str()
                return h.api.pointee.get_host_string!(h.host, TOLLGATE_HOST_PROP_STORAGE_DIR, &value)
            }]
        case .setFallbackModels:
            return [ABIProbe(.setFallbackModels) { h in
                lendStrs(["small"]) { s in h.api.pointee.set_fallback_models!(h.call, s.baseAddress, 1) }
            }]
        case .setDeployment:
            return [ABIProbe(.setDeployment) { h in lendStr("small") { h.api.pointee.set_deployment!(h.call, $0) } }]
        case .declareRoute:
            return [ABIProbe(.declareRoute) { h in
                lendStrs(["GET", "/admin/probe"]) { s in h.api.pointee.declare_route!(h.host, s[0], s[1], TOLLGATE_ROUTE_ROLE_ADMIN) }
            }]
        case .routeGetString:
            return RouteProperty.allCases.map { property in
                ABIProbe(.routeGetString, "route_get_string(\(property))") { h in
                    var value = tollgate_type_str()
                    return h.api.pointee.route_get_string!(h.route, property.rawValue, &value)
                }
            }
        case .routeRespond:
            return [ABIProbe(.routeRespond) { h in
                lendStrs(["", "{}"]) { s in h.api.pointee.route_respond!(h.route, 200, s[0], s[1]) }
            }]
        case .grantsGet:
            return [ABIProbe(.grantsGet) { h in
                var version: UInt64 = 0
                var json = tollgate_type_str()
                return h.api.pointee.grants_get!(h.host, &version, &json)
            }]
        case .callGrants:
            return [ABIProbe(.callGrants) { h in
                var version: UInt64 = 0
                var indices = [UInt32](repeating: 0, count: 4)
                var count = 0
                return h.api.pointee.call_grants!(h.call, &version, &indices, 4, &count)
            }]
        case .counterReserveCapped:
            return [ABIProbe(.counterReserveCapped) { h in
                var ids = [declareCounter(h).id], amounts: [Int64] = [1], ceilings: [Int64] = [1_000_000_000]
                var reservation: UInt64 = 0, refused = 0
                return h.api.pointee.counter_reserve_capped!(h.host, &ids, &amounts, &ceilings, 1, 0, &reservation, &refused, nil)
            }]
        case .ledgerAppend:
            return [ABIProbe(.ledgerAppend) { h in
                #"{"ts_us": 1, "request_id": "probe", "outcome": "success"}"#.withCString { row in
                    h.api.pointee.ledger_append!(h.host, tollgate_type_str(ptr: row, len: strlen(row)))
                }
            }, ABIProbe(.ledgerAppend, "ledger_append(unknown column)") { h in
                #"{"ts_us": 1, "request_id": "probe", "outcome": "success", "colour": "red"}"#.withCString { row in
                    h.api.pointee.ledger_append!(h.host, tollgate_type_str(ptr: row, len: strlen(row)))
                }
            }]
        case .ledgerRead:
            return [ABIProbe(.ledgerRead) { h in
                var path = tollgate_type_str()
                return h.api.pointee.ledger_read!(h.host, &path)
            }, ABIProbe(.ledgerRead, "ledger_read(NULL path_out)") { h in
                h.api.pointee.ledger_read!(h.host, nil)
            }]
        }
    }

    /// A key each map of the probe's call holds.
    static func probeKey(_ map: CallMap) -> String {
        switch map.id {
        case TOLLGATE_MAP_REQUEST_HEADERS: return "x-tier"
        case TOLLGATE_MAP_METADATA: return "feature"
        case TOLLGATE_MAP_UPSTREAM_HEADERS: return "content-type"
        default: return "absent"
        }
    }

    static func defineMetric(_ h: ProbeHandles) -> (status: tollgate_type_status, id: UInt32) {
        var id: UInt32 = 0
        let status = lendStrs(["probe_calls_total", "probe", ""]) { s in
            h.api.pointee.metric_define!(h.host, TOLLGATE_METRIC_COUNTER, s[0], s[1], s[2], &id)
        }
        return (status, id)
    }

    static func declareCounter(_ h: ProbeHandles) -> (status: tollgate_type_status, id: UInt32) {
        var id: UInt32 = 0
        let status = lendStr("probe:counter") { name -> tollgate_type_status in
            var spec = tollgate_type_counter_spec()
            spec.struct_size = UInt32(MemoryLayout<tollgate_type_counter_spec>.size)
            spec.name = name
            spec.limit = Int64.max
            spec.window = TOLLGATE_WINDOW_DAY
            return h.api.pointee.counter_declare!(h.host, &spec, &id)
        }
        return (status, id)
    }

    static func reserve(_ h: ProbeHandles, _ counter: UInt32) -> (status: tollgate_type_status, reservation: UInt64) {
        var ids = [counter], amounts: [Int64] = [1]
        var reservation: UInt64 = 0, refused = 0
        let status = h.api.pointee.counter_reserve!(h.host, &ids, &amounts, 1, 0, &reservation, &refused, nil)
        return (status, reservation)
    }
}

/// Lends `s` as a tollgate_type_str for `body`.
func lendStr<R>(_ s: String, _ body: (tollgate_type_str) -> R) -> R {
    lendStrs([s]) { body($0[0]) }
}

/// Lends strings as a C array of tollgate_type_str for `body`.
func lendStrs<R>(_ strings: [String], _ body: (UnsafeBufferPointer<tollgate_type_str>) -> R) -> R {
    let copies = strings.map { strdup($0)! }
    defer { copies.forEach { free($0) } }
    let strs = copies.map { tollgate_type_str(ptr: $0, len: strlen($0)) }
    return strs.withUnsafeBufferPointer(body)
}
