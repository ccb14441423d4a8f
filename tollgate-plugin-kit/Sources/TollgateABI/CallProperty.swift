import CTollgatePlugin

/// A call property (TOLLGATE_PROP_*): its type and the hooks in which
/// get_string / get_int answer it. Reading it elsewhere answers
/// WRONG_PHASE; reading an unknown id, or a string property with get_int
/// (and the reverse), INVALID_ARGUMENT.
public struct CallProperty: Equatable, Sendable {
    public enum Kind: Sendable { case string, int }

    public var id: Int32
    /// The constant's name without its prefix, in lower case ("model_served").
    public var name: String
    public var kind: Kind
    public var phases: ABIPhases

    /// The rule for `id`; nil for an id the header does not define.
    @inlinable public static func rule(_ id: Int32) -> (kind: Kind, phases: ABIPhases)? {
        switch id {
        // string, all hooks
        case TOLLGATE_PROP_REQUEST_ID, TOLLGATE_PROP_API, TOLLGATE_PROP_MODEL_REQUESTED, TOLLGATE_PROP_MODEL,
             TOLLGATE_PROP_KEY_ID, TOLLGATE_PROP_ORG, TOLLGATE_PROP_TEAM, TOLLGATE_PROP_OWNER, TOLLGATE_PROP_KEY_CLASS,
             TOLLGATE_PROP_END_USER, TOLLGATE_PROP_PROVIDER, TOLLGATE_PROP_ROUTE:
            return (.string, .callHooks)
        case TOLLGATE_PROP_MODEL_SERVED, TOLLGATE_PROP_DEPLOYMENT:
            return (.string, .chunkAndPost)
        case TOLLGATE_PROP_OUTCOME, TOLLGATE_PROP_DECIDED_BY, TOLLGATE_PROP_OUTCOME_DETAIL:
            return (.string, .postCall)
        // int
        case TOLLGATE_PROP_MAX_OUTPUT_TOKENS, TOLLGATE_PROP_STREAM, TOLLGATE_PROP_PROMPT_BYTES, TOLLGATE_PROP_BODY_BYTES,
             TOLLGATE_PROP_CATALOG_MAX_OUTPUT, TOLLGATE_PROP_CATALOG_CONTEXT_WINDOW, TOLLGATE_PROP_KEY_EXPIRES_AT,
             TOLLGATE_PROP_RECEIVED_AT_US:
            return (.int, .callHooks)
        // TOKENS_IN: in on_chunk since 1.1 (the provider's figure or the
        // host's estimate from the prompt).
        case TOLLGATE_PROP_TOKENS_IN, TOLLGATE_PROP_TOKENS_OUT, TOLLGATE_PROP_FIRST_BYTE_SENT:
            return (.int, .chunkAndPost)
        case TOLLGATE_PROP_STATUS, TOLLGATE_PROP_TOKENS_CACHED, TOLLGATE_PROP_USAGE_ESTIMATED, TOLLGATE_PROP_COST_NANOS,
             TOLLGATE_PROP_LATENCY_US, TOLLGATE_PROP_UPSTREAM_US, TOLLGATE_PROP_UPSTREAM_ATTEMPTS:
            return (.int, .postCall)
        case TOLLGATE_PROP_CHUNK_INDEX, TOLLGATE_PROP_CHUNK_KIND:
            return (.int, .chunk)
        default:
            return nil
        }
    }

    /// nil when `id` may be read `as` that kind in `phase`; else the status
    /// to answer. (The host has already applied get_string's / get_int's own
    /// rule: the call is in one of its hooks.)
    @inlinable public static func refusal(reading id: Int32, as kind: Kind, in phase: ABIPhase) -> tollgate_type_status? {
        guard let rule = rule(id), rule.kind == kind else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
        return rule.phases.contains(phase) ? nil : TOLLGATE_STATUS_WRONG_PHASE
    }

    /// Every property the header defines.
    public static let all: [CallProperty] = {
        let names: [(Int32, String)] = [
            (TOLLGATE_PROP_REQUEST_ID, "request_id"), (TOLLGATE_PROP_API, "api"),
            (TOLLGATE_PROP_MODEL_REQUESTED, "model_requested"), (TOLLGATE_PROP_MODEL, "model"),
            (TOLLGATE_PROP_KEY_ID, "key_id"), (TOLLGATE_PROP_ORG, "org"), (TOLLGATE_PROP_TEAM, "team"),
            (TOLLGATE_PROP_OWNER, "owner"), (TOLLGATE_PROP_KEY_CLASS, "key_class"), (TOLLGATE_PROP_END_USER, "end_user"),
            (TOLLGATE_PROP_PROVIDER, "provider"), (TOLLGATE_PROP_MODEL_SERVED, "model_served"),
            (TOLLGATE_PROP_DEPLOYMENT, "deployment"), (TOLLGATE_PROP_OUTCOME, "outcome"),
            (TOLLGATE_PROP_DECIDED_BY, "decided_by"), (TOLLGATE_PROP_OUTCOME_DETAIL, "outcome_detail"),
            (TOLLGATE_PROP_ROUTE, "route"),
            (TOLLGATE_PROP_MAX_OUTPUT_TOKENS, "max_output_tokens"), (TOLLGATE_PROP_STREAM, "stream"),
            (TOLLGATE_PROP_PROMPT_BYTES, "prompt_bytes"), (TOLLGATE_PROP_BODY_BYTES, "body_bytes"),
            (TOLLGATE_PROP_CATALOG_MAX_OUTPUT, "catalog_max_output"),
            (TOLLGATE_PROP_CATALOG_CONTEXT_WINDOW, "catalog_context_window"),
            (TOLLGATE_PROP_KEY_EXPIRES_AT, "key_expires_at"), (TOLLGATE_PROP_STATUS, "status"),
            (TOLLGATE_PROP_TOKENS_IN, "tokens_in"), (TOLLGATE_PROP_TOKENS_OUT, "tokens_out"),
            (TOLLGATE_PROP_TOKENS_CACHED, "tokens_cached"), (TOLLGATE_PROP_USAGE_ESTIMATED, "usage_estimated"),
            (TOLLGATE_PROP_COST_NANOS, "cost_nanos"), (TOLLGATE_PROP_LATENCY_US, "latency_us"),
            (TOLLGATE_PROP_UPSTREAM_US, "upstream_us"), (TOLLGATE_PROP_FIRST_BYTE_SENT, "first_byte_sent"),
            (TOLLGATE_PROP_CHUNK_INDEX, "chunk_index"), (TOLLGATE_PROP_CHUNK_KIND, "chunk_kind"),
            (TOLLGATE_PROP_UPSTREAM_ATTEMPTS, "upstream_attempts"), (TOLLGATE_PROP_RECEIVED_AT_US, "received_at_us"),
        ]
        return names.map { id, name in
            let rule = rule(id)!
            return CallProperty(id: id, name: name, kind: rule.kind, phases: rule.phases)
        }
    }()
}
