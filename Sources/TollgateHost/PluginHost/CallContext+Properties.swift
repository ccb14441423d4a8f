import CTollgatePlugin
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

extension CallContext {
    private var inChunkOrPost: Bool { phase == .chunk || phase == .postCall }

    /// TOLLGATE_PROP_* string values: .success, .notFound or .wrongPhase.
    func stringProperty(_ property: Int32) -> PropertyResult<String> {
        switch property {
        case TOLLGATE_PROP_REQUEST_ID: return .value(requestID)
        case TOLLGATE_PROP_API: return .value(dialect.rawValue)
        case TOLLGATE_PROP_MODEL_REQUESTED: return .value(modelRequested)
        case TOLLGATE_PROP_MODEL: return .value(request.model)
        case TOLLGATE_PROP_KEY_ID: return .value(identity.keyId)
        case TOLLGATE_PROP_ORG: return .value(identity.org)
        case TOLLGATE_PROP_TEAM: return .value(identity.team)
        case TOLLGATE_PROP_OWNER: return .value(identity.owner)
        case TOLLGATE_PROP_KEY_CLASS: return .value(identity.keyClass.rawValue)
        case TOLLGATE_PROP_END_USER: return .optional(request.endUser)
        case TOLLGATE_PROP_PROVIDER: return .optional(catalog.model(named: request.model)?.provider.rawValue)
        case TOLLGATE_PROP_ROUTE: return .value(route)
        case TOLLGATE_PROP_MODEL_SERVED: return inChunkOrPost ? .optional(modelServed) : .wrongPhase
        case TOLLGATE_PROP_DEPLOYMENT: return inChunkOrPost ? .optional(deployment) : .wrongPhase
        case TOLLGATE_PROP_OUTCOME: return phase == .postCall ? .optional(outcome) : .wrongPhase
        case TOLLGATE_PROP_DECIDED_BY: return phase == .postCall ? .optional(decidedBy) : .wrongPhase
        case TOLLGATE_PROP_OUTCOME_DETAIL: return phase == .postCall ? .optional(outcomeDetail) : .wrongPhase
        default: return .invalid
        }
    }

    func intProperty(_ property: Int32) -> PropertyResult<Int64> {
        // Looked up only for the two properties that need it.
        var entry: ModelEntry? { catalog.model(named: request.model) }
        switch property {
        case TOLLGATE_PROP_MAX_OUTPUT_TOKENS: return .optional(request.maxOutputTokens)
        case TOLLGATE_PROP_STREAM: return .value(request.stream ? 1 : 0)
        case TOLLGATE_PROP_PROMPT_BYTES: return .value(Int64(request.promptBytes))
        case TOLLGATE_PROP_BODY_BYTES: return .value(Int64(request.receivedBodyBytes))
        case TOLLGATE_PROP_CATALOG_MAX_OUTPUT: return .optional(entry?.maxOutputTokens)
        case TOLLGATE_PROP_CATALOG_CONTEXT_WINDOW: return .optional(entry?.contextWindow)
        case TOLLGATE_PROP_KEY_EXPIRES_AT: return .optional(identity.expiresAt)
        case TOLLGATE_PROP_RECEIVED_AT_US: return .value(receivedAtMicros)
        case TOLLGATE_PROP_STATUS: return phase == .postCall ? .value(Int64(status)) : .wrongPhase
        case TOLLGATE_PROP_TOKENS_IN:
            if phase == .chunk { return .value(runningInputTokens) }
            return phase == .postCall ? .value(usage?.input ?? 0) : .wrongPhase
        case TOLLGATE_PROP_TOKENS_OUT:
            if phase == .chunk { return .value(runningOutputTokens) }
            return phase == .postCall ? .value(usage?.output ?? 0) : .wrongPhase
        case TOLLGATE_PROP_TOKENS_CACHED: return phase == .postCall ? .value(usage?.cached ?? 0) : .wrongPhase
        case TOLLGATE_PROP_USAGE_ESTIMATED: return phase == .postCall ? .value((usage?.estimated ?? false) ? 1 : 0) : .wrongPhase
        case TOLLGATE_PROP_COST_NANOS: return phase == .postCall ? .value(costNanos) : .wrongPhase
        case TOLLGATE_PROP_LATENCY_US: return phase == .postCall ? .value(latencyMicros) : .wrongPhase
        case TOLLGATE_PROP_UPSTREAM_US: return phase == .postCall ? .value(upstreamMicros) : .wrongPhase
        case TOLLGATE_PROP_FIRST_BYTE_SENT: return inChunkOrPost ? .value(firstByteSent ? 1 : 0) : .wrongPhase
        case TOLLGATE_PROP_CHUNK_INDEX: return phase == .chunk ? .value(chunkIndex) : .wrongPhase
        case TOLLGATE_PROP_CHUNK_KIND: return phase == .chunk ? .value(Int64(currentEventKind.rawValue)) : .wrongPhase
        case TOLLGATE_PROP_UPSTREAM_ATTEMPTS: return phase == .postCall ? .value(Int64(upstreamAttempts)) : .wrongPhase
        default: return .invalid
        }
    }
}

package enum PropertyResult<T> {
    case value(T)
    case notFound
    case wrongPhase
    case invalid

    static func optional(_ value: T?) -> PropertyResult<T> {
        value.map { .value($0) } ?? .notFound
    }
}
