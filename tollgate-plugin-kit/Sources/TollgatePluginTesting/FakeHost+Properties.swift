import TollgatePluginKit

// Property reads with the phase rules of the header, as TollgateABI's
// CallProperty states them (the gateway asks the same table): each property
// is readable in the hooks its comment names, WRONG_PHASE elsewhere,
// NOT_FOUND when it has no value for this call.

extension FakeCall {
    /// The status reading `property` as `kind` answers in this hook, if not OK.
    private func refusal(_ property: Int32, _ kind: CallProperty.Kind) -> HostStatus? {
        CallProperty.refusal(reading: property, as: kind, in: phase).map(HostStatus.init(rawValue:))
    }

    /// .success(nil) means NOT_FOUND; .failure is the status to return.
    func stringProperty(_ property: Int32) -> Result<String?, HostStatus> {
        if let refusal = refusal(property, .string) { return .failure(refusal) }
        switch property {
        case TOLLGATE_PROP_REQUEST_ID: return .success(requestID)
        case TOLLGATE_PROP_API: return .success(api.rawValue)
        case TOLLGATE_PROP_MODEL_REQUESTED: return .success(modelRequested)
        case TOLLGATE_PROP_MODEL: return .success(model)
        case TOLLGATE_PROP_KEY_ID: return .success(identity.keyID)
        case TOLLGATE_PROP_ORG: return .success(identity.org)
        case TOLLGATE_PROP_TEAM: return .success(identity.team)
        case TOLLGATE_PROP_OWNER: return .success(identity.owner)
        case TOLLGATE_PROP_KEY_CLASS: return .success(identity.keyClass)
        case TOLLGATE_PROP_END_USER: return .success(endUser)
        case TOLLGATE_PROP_PROVIDER: return .success(provider ?? (host?.catalog[model] != nil ? "mock" : nil))
        case TOLLGATE_PROP_MODEL_SERVED: return .success(modelServed)
        case TOLLGATE_PROP_DEPLOYMENT: return .success(deployment)
        case TOLLGATE_PROP_OUTCOME: return .success(outcome)
        case TOLLGATE_PROP_DECIDED_BY: return .success(decidedBy)
        case TOLLGATE_PROP_OUTCOME_DETAIL: return .success(outcomeDetail)
        case TOLLGATE_PROP_ROUTE: return .success(route)
        default: return .failure(.invalidArgument)  // an int property
        }
    }

    func intProperty(_ property: Int32) -> Result<Int64?, HostStatus> {
        if let refusal = refusal(property, .int) { return .failure(refusal) }
        switch property {
        case TOLLGATE_PROP_MAX_OUTPUT_TOKENS: return .success(maxOutputTokens)
        case TOLLGATE_PROP_STREAM: return .success(stream ? 1 : 0)
        case TOLLGATE_PROP_PROMPT_BYTES: return .success(promptBytes)
        case TOLLGATE_PROP_BODY_BYTES: return .success(bodyBytes)
        case TOLLGATE_PROP_CATALOG_MAX_OUTPUT: return .success(catalogMaxOutput)
        case TOLLGATE_PROP_CATALOG_CONTEXT_WINDOW: return .success(contextWindow)
        case TOLLGATE_PROP_KEY_EXPIRES_AT: return .success(keyExpiresAt)
        case TOLLGATE_PROP_STATUS: return .success(status ?? 0)
        case TOLLGATE_PROP_TOKENS_IN: return .success(tokensIn ?? 0)
        case TOLLGATE_PROP_TOKENS_OUT: return .success(tokensOut ?? 0)
        case TOLLGATE_PROP_TOKENS_CACHED: return .success(tokensCached ?? 0)
        case TOLLGATE_PROP_USAGE_ESTIMATED: return .success(usageEstimated ? 1 : 0)
        case TOLLGATE_PROP_COST_NANOS: return .success(costNanos ?? computedCost())
        case TOLLGATE_PROP_LATENCY_US: return .success(latencyMicros ?? 0)
        case TOLLGATE_PROP_UPSTREAM_US: return .success(upstreamMicros ?? 0)
        case TOLLGATE_PROP_FIRST_BYTE_SENT: return .success(firstByteSent ? 1 : 0)
        case TOLLGATE_PROP_CHUNK_INDEX: return .success(chunkIndex)
        case TOLLGATE_PROP_CHUNK_KIND: return .success(chunkKind.rawValue)
        case TOLLGATE_PROP_UPSTREAM_ATTEMPTS: return .success(upstreamAttempts ?? 0)
        case TOLLGATE_PROP_RECEIVED_AT_US: return .success(receivedAtMicros)
        default: return .failure(.invalidArgument)  // a string property
        }
    }

    /// The cost of the usage at the served model's price (0 if nothing was
    /// served or the model is not in the catalog).
    func computedCost() -> Int64 {
        guard let served = modelServed, let price = host?.catalog[served] else { return 0 }
        return FakeHost.cost(price: price, tokensIn: tokensIn ?? 0, tokensOut: tokensOut ?? 0,
                             tokensCached: tokensCached ?? 0) ?? 0
    }
}
