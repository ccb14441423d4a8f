import CTollgatePlugin
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite
import TollgateABI

// The values of TOLLGATE_PROP_*. Which property may be read in which hook
// is TollgateABI's CallProperty, asked before these (HostAPI): here a
// property is only its value in the current phase, nil for NOT_FOUND.
extension CallContext {
    func stringProperty(_ property: Int32) -> String? {
        switch property {
        case TOLLGATE_PROP_REQUEST_ID: return requestID
        case TOLLGATE_PROP_API: return dialect.rawValue
        case TOLLGATE_PROP_MODEL_REQUESTED: return modelRequested
        case TOLLGATE_PROP_MODEL: return request.model
        case TOLLGATE_PROP_KEY_ID: return identity.keyId
        case TOLLGATE_PROP_ORG: return identity.org
        case TOLLGATE_PROP_TEAM: return identity.team
        case TOLLGATE_PROP_OWNER: return identity.owner
        case TOLLGATE_PROP_KEY_CLASS: return identity.keyClass.rawValue
        case TOLLGATE_PROP_END_USER: return request.endUser
        case TOLLGATE_PROP_PROVIDER: return catalog.model(named: request.model)?.provider.rawValue
        case TOLLGATE_PROP_ROUTE: return route
        case TOLLGATE_PROP_MODEL_SERVED: return modelServed
        case TOLLGATE_PROP_DEPLOYMENT: return deployment
        case TOLLGATE_PROP_OUTCOME: return outcome
        case TOLLGATE_PROP_DECIDED_BY: return decidedBy
        case TOLLGATE_PROP_OUTCOME_DETAIL: return outcomeDetail
        default: return nil
        }
    }

    func intProperty(_ property: Int32) -> Int64? {
        // Looked up only for the two properties that need it.
        var entry: ModelEntry? { catalog.model(named: request.model) }
        switch property {
        case TOLLGATE_PROP_MAX_OUTPUT_TOKENS: return request.maxOutputTokens
        case TOLLGATE_PROP_STREAM: return request.stream ? 1 : 0
        case TOLLGATE_PROP_PROMPT_BYTES: return Int64(request.promptBytes)
        case TOLLGATE_PROP_BODY_BYTES: return Int64(request.receivedBodyBytes)
        case TOLLGATE_PROP_CATALOG_MAX_OUTPUT: return entry?.maxOutputTokens
        case TOLLGATE_PROP_CATALOG_CONTEXT_WINDOW: return entry?.contextWindow
        case TOLLGATE_PROP_KEY_EXPIRES_AT: return identity.expiresAt
        case TOLLGATE_PROP_RECEIVED_AT_US: return receivedAtMicros
        case TOLLGATE_PROP_STATUS: return Int64(status)
        case TOLLGATE_PROP_TOKENS_IN: return phase == .chunk ? runningInputTokens : usage?.input ?? 0
        case TOLLGATE_PROP_TOKENS_OUT: return phase == .chunk ? runningOutputTokens : usage?.output ?? 0
        case TOLLGATE_PROP_TOKENS_CACHED: return usage?.cached ?? 0
        case TOLLGATE_PROP_USAGE_ESTIMATED: return (usage?.estimated ?? false) ? 1 : 0
        case TOLLGATE_PROP_COST_NANOS: return costNanos
        case TOLLGATE_PROP_LATENCY_US: return latencyMicros
        case TOLLGATE_PROP_UPSTREAM_US: return upstreamMicros
        case TOLLGATE_PROP_FIRST_BYTE_SENT: return firstByteSent ? 1 : 0
        case TOLLGATE_PROP_CHUNK_INDEX: return chunkIndex
        case TOLLGATE_PROP_CHUNK_KIND: return Int64(currentEventKind.rawValue)
        case TOLLGATE_PROP_UPSTREAM_ATTEMPTS: return Int64(upstreamAttempts)
        default: return nil
        }
    }
}
