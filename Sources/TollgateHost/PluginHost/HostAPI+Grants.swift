import CTollgatePlugin
import TollgateABI
import TollgateSupport
import TollgateConfig

// The grant functions (ABI 1.5): the table the governance registry
// publishes, and the grants a call is on. counter_reserve_capped is with
// the counter functions (HostAPI+Counters.swift).
func installGrantCallbacks(_ t: UnsafeMutablePointer<tollgate_type_host_api>) {
    t.pointee.grants_get = hostGrantsGet
    t.pointee.call_grants = hostCallGrants
}

private let OK = tollgate_type_status(TOLLGATE_STATUS_OK)
private let INVALID = tollgate_type_status(TOLLGATE_STATUS_INVALID_ARGUMENT)

private let hostGrantsGet: tollgate_callback_grants_get = { host, versionOut, jsonOut in
    guard let host = HostContext.from(host) else { return INVALID }
    if let refusal = HostFunction.grantsGet.refusal(in: host.phase, present: versionOut != nil, jsonOut != nil) { return refusal }
    // Every published version stays in memory for the process's life, so
    // the document outlives the instance as the ABI promises.
    let published = host.services.governance.current
    versionOut!.pointee = published.table.version
    jsonOut!.pointee = tollgate_type_str(
        ptr: published.bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
        len: published.bytes.count)
    return OK
}

private let hostCallGrants: tollgate_callback_call_grants = { call, versionOut, indicesOut, capacity, countOut in
    guard let call = CallContext.from(call) else { return INVALID }
    if let refusal = call.refusal(.callGrants, present: versionOut != nil, countOut != nil) { return refusal }
    guard capacity == 0 || indicesOut != nil else { return INVALID }
    guard let registry = call.governance else {
        versionOut!.pointee = 0
        countOut!.pointee = 0
        return OK
    }
    // In pre_call a plugin may still set the attributes a path reads; after
    // it the path only changes with the table, so it is computed once per
    // version (the budget plugin settles and the tagging plugin writes the
    // ledger row on the same path, for the price of one).
    let published: PublishedGrants, path: [Int]
    if call.phase != .preCall, let cached = call.grantPathAfterPreCall, cached.published === registry.current {
        (published, path) = cached
    } else {
        (published, path) = registry.path(identity: call.identity) { call.attributes[$0] }
        if call.phase != .preCall { call.grantPathAfterPreCall = (published, path) }
    }
    versionOut!.pointee = published.table.version
    countOut!.pointee = path.count
    for (i, index) in path.prefix(capacity).enumerated() { indicesOut![i] = UInt32(index) }
    return OK
}
