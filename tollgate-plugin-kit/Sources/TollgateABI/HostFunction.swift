/// Every function of the host API table (`tollgate_type_host_api`), in
/// table order, named like its field. With `HostFunction+Rules.swift` this
/// is the one statement of who may call what, where: the gateway's host
/// table and the test kit's fake host both ask it, and a test calls both
/// tables function by function, phase by phase, to prove they agree.
public enum HostFunction: String, CaseIterable, Sendable {
    // added in 1.0
    case log
    case metricDefine = "metric_define"
    case metricRecord = "metric_record"
    case getPrice = "get_price"
    case computeCost = "compute_cost"
    case raiseAlert = "raise_alert"
    case getString = "get_string"
    case getInt = "get_int"
    case setModel = "set_model"
    case setMaxOutputTokens = "set_max_output_tokens"
    case promptSegmentCount = "prompt_segment_count"
    case getPromptSegment = "get_prompt_segment"
    case setPromptSegment = "set_prompt_segment"
    case getBody = "get_body"
    case setBody = "set_body"
    case mapCount = "map_count"
    case mapGet = "map_get"
    case mapEntry = "map_entry"
    case mapSet = "map_set"
    case setError = "set_error"
    case setResponse = "set_response"
    case getChunkText = "get_chunk_text"
    case setChunkText = "set_chunk_text"
    case getChunkRaw = "get_chunk_raw"
    case setChunkRaw = "set_chunk_raw"
    // added in 1.1
    case counterDeclare = "counter_declare"
    case counterReserve = "counter_reserve"
    case counterSettle = "counter_settle"
    case counterRelease = "counter_release"
    case counterAdd = "counter_add"
    case counterGet = "counter_get"
    // added in 1.2
    case getHostString = "get_host_string"
    case setFallbackModels = "set_fallback_models"
    case setDeployment = "set_deployment"
    // added in 1.3
    case metricSeries = "metric_series"
    case metricSeriesRecord = "metric_series_record"
    // added in 1.4
    case declareRoute = "declare_route"
    case routeGetString = "route_get_string"
    case routeRespond = "route_respond"
    // added in 1.5
    case grantsGet = "grants_get"
    case callGrants = "call_grants"
    case counterReserveCapped = "counter_reserve_capped"
    // added in 1.6
    case ledgerAppend = "ledger_append"
    case ledgerRead = "ledger_read"

    /// The field's name in the table, and the `function` label of
    /// tollgate_plugin_host_call_refused_total.
    public var name: String { rawValue }

    /// Which handle the function's first argument is.
    public enum Handle: Sendable {
        /// tollgate_type_host_ptr: the plugin instance.
        case host
        /// tollgate_type_call_ptr: one request, valid during its hooks.
        case call
        /// tollgate_type_route_ptr: one route request, valid during on_route.
        case route
    }

    /// The ABI minor version that added the function to the table.
    public var addedIn: UInt16 {
        switch self {
        case .log, .metricDefine, .metricRecord, .getPrice, .computeCost, .raiseAlert, .getString, .getInt, .setModel,
             .setMaxOutputTokens, .promptSegmentCount, .getPromptSegment, .setPromptSegment, .getBody, .setBody,
             .mapCount, .mapGet, .mapEntry, .mapSet, .setError, .setResponse, .getChunkText, .setChunkText,
             .getChunkRaw, .setChunkRaw:
            return 0
        case .counterDeclare, .counterReserve, .counterSettle, .counterRelease, .counterAdd, .counterGet:
            return 1
        case .getHostString, .setFallbackModels, .setDeployment:
            return 2
        case .metricSeries, .metricSeriesRecord:
            return 3
        case .declareRoute, .routeGetString, .routeRespond:
            return 4
        case .grantsGet, .callGrants, .counterReserveCapped:
            return 5
        case .ledgerAppend, .ledgerRead:
            return 6
        }
    }

    public var handle: Handle {
        switch self {
        case .log, .metricDefine, .metricRecord, .getPrice, .computeCost, .raiseAlert, .counterDeclare, .counterReserve,
             .counterSettle, .counterRelease, .counterAdd, .counterGet, .getHostString, .metricSeries,
             .metricSeriesRecord, .declareRoute, .grantsGet, .counterReserveCapped, .ledgerAppend, .ledgerRead:
            return .host
        case .routeGetString, .routeRespond:
            return .route
        default:
            return .call
        }
    }

    /// The functions a host of ABI 1.`minor` has in its table.
    public static func table(ofMinor minor: UInt16) -> [HostFunction] {
        allCases.filter { $0.addedIn <= minor }
    }
}
