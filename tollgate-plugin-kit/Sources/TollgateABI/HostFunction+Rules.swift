import CTollgatePlugin

// Where each host function may be called, and which of its out-parameters
// may be NULL. A host checks, in this order: the handle (NULL or unknown:
// INVALID_ARGUMENT), `refusal(in:)` (a missing required out-parameter:
// INVALID_ARGUMENT; a phase outside `phases`: WRONG_PHASE), then the
// function's own argument rules (CallProperty, CallMap, ArgumentRules,
// RouteRules) and its work.

extension HostFunction {
    /// The phases of its handle in which the function works; elsewhere the
    /// host answers WRONG_PHASE (see ABIPhase for what a handle's phase is).
    @inlinable public var phases: ABIPhases {
        switch self {
        // The host handle: callable anywhere, from any thread.
        case .log, .metricDefine, .metricRecord, .getPrice, .computeCost, .raiseAlert, .counterDeclare, .counterReserve,
             .counterSettle, .counterRelease, .counterAdd, .counterGet, .getHostString, .metricSeries,
             .metricSeriesRecord, .grantsGet, .counterReserveCapped, .ledgerAppend, .ledgerRead:
            return .anywhere
        case .declareRoute:
            return .create
        // Reads of the request: every hook of the call (properties and maps
        // narrow it further: CallProperty, CallMap).
        case .getString, .getInt, .promptSegmentCount, .getPromptSegment, .getBody, .mapCount, .mapGet, .mapEntry,
             .mapSet, .callGrants:
            return .callHooks
        // Edits of the request and the synthetic response: before forwarding.
        case .setModel, .setMaxOutputTokens, .setPromptSegment, .setBody, .setResponse, .setFallbackModels, .setDeployment:
            return .preCall
        case .setError:
            return [.preCall, .chunk]
        case .getChunkText, .setChunkText, .getChunkRaw, .setChunkRaw:
            return .chunk
        case .routeGetString, .routeRespond:
            return .route
        }
    }

    /// One out-parameter: its name in the header and whether NULL is
    /// allowed (the host then skips it).
    public struct Output: Equatable, Sendable {
        public var name: String
        public var optional: Bool
    }

    /// The function's out-parameters, in argument order.
    public var outputs: [Output] {
        func required(_ name: String) -> Output { Output(name: name, optional: false) }
        func optional(_ name: String) -> Output { Output(name: name, optional: true) }
        switch self {
        case .metricDefine: return [required("metric_id_out")]
        case .getPrice: return [required("price_out")]
        case .computeCost: return [required("cost_nanos_out")]
        case .getString, .getInt, .mapGet, .getHostString, .routeGetString: return [required("value_out")]
        case .promptSegmentCount, .mapCount: return [required("count_out")]
        // role_out may be NULL: a plugin that only scans text need not ask
        // for the role (the gateway always took NULL; the fake host refused
        // it until ABI 1.4 wrote the rule down).
        case .getPromptSegment: return [required("text_out"), optional("role_out")]
        case .getBody: return [required("body_out")]
        case .getChunkText: return [required("text_out")]
        case .getChunkRaw: return [required("raw_out")]
        case .mapEntry: return [optional("key_out"), optional("value_out")]
        case .counterDeclare: return [required("counter_id_out")]
        case .counterReserve, .counterReserveCapped:
            return [required("reservation_out"), required("refused_index_out"), optional("refused_state_out")]
        case .grantsGet: return [required("version_out"), required("json_out")]
        case .callGrants: return [required("version_out"), required("count_out")]
        case .counterGet: return [required("state_out")]
        case .metricSeries: return [required("series_out")]
        case .ledgerRead: return [required("path_out")]
        default: return []
        }
    }

    /// nil when a call in `phase` with these out-parameters may go ahead;
    /// else the status to answer (INVALID_ARGUMENT for a required
    /// out-parameter that is NULL, WRONG_PHASE outside `phases`). `present`
    /// says, in argument order, which out-parameters are not NULL (omit the
    /// rest: they count as present).
    @inlinable public func refusal(in phase: ABIPhase, present first: Bool = true, _ second: Bool = true,
                        _ third: Bool = true) -> tollgate_type_status? {
        if !(first && second && third) {
            let present = [first, second, third]
            for (index, output) in outputs.enumerated() where !output.optional && !present[index] {
                return TOLLGATE_STATUS_INVALID_ARGUMENT
            }
        }
        return phases.contains(phase) ? nil : TOLLGATE_STATUS_WRONG_PHASE
    }
}

extension HostFunction {
    /// `log` takes an optional call (to tag the line with its request id):
    /// when not NULL, it must be in one of its hooks (WRONG_PHASE otherwise).
    public static var loggedCallPhases: ABIPhases { .callHooks }
}
