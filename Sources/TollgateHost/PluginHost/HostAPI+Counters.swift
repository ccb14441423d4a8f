import CTollgatePlugin
import Logging
import TollgateABI
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

// The counter store's host functions (ABI 1.1): thin adapters from the C
// table to `HostServices.counters`. A settle or add that persists spent
// makes the running call's response wait for the commit
// (CallContext.requireDurable), so no client sees a completed response whose
// spend a crash could lose.
func installCounterCallbacks(_ t: UnsafeMutablePointer<tollgate_type_host_api>) {
    t.pointee.counter_declare = hostCounterDeclare
    t.pointee.counter_reserve = hostCounterReserve
    t.pointee.counter_settle = hostCounterSettle
    t.pointee.counter_release = hostCounterRelease
    t.pointee.counter_add = hostCounterAdd
    t.pointee.counter_get = hostCounterGet
    t.pointee.counter_reserve_capped = hostCounterReserveCapped  // added in 1.5
}

private let OK = tollgate_type_status(TOLLGATE_STATUS_OK)
private let NOT_FOUND = tollgate_type_status(TOLLGATE_STATUS_NOT_FOUND)
private let INVALID = tollgate_type_status(TOLLGATE_STATUS_INVALID_ARGUMENT)
private let REFUSED = tollgate_type_status(TOLLGATE_STATUS_REFUSED)
private let UNAVAILABLE = tollgate_type_status(TOLLGATE_STATUS_UNAVAILABLE)

/// Writes the fields of `state` that fit in the caller's struct_size.
private func write(_ state: CounterState, to out: UnsafeMutablePointer<tollgate_type_counter_state>) {
    let size = out.pointee.struct_size
    if ABIStruct.contains(\tollgate_type_counter_state.limit, size: size) { out.pointee.limit = state.limit }
    if ABIStruct.contains(\tollgate_type_counter_state.spent, size: size) { out.pointee.spent = state.spent }
    if ABIStruct.contains(\tollgate_type_counter_state.reserved, size: size) { out.pointee.reserved = state.reserved }
    if ABIStruct.contains(\tollgate_type_counter_state.window_start, size: size) { out.pointee.window_start = state.windowStart }
    if ABIStruct.contains(\tollgate_type_counter_state.window_end, size: size) { out.pointee.window_end = state.windowEnd }
    if ABIStruct.contains(\tollgate_type_counter_state.retry_after_ms, size: size) { out.pointee.retry_after_ms = state.retryAfterMs }
}

/// Status for a spent update, after asking the running call to wait for it.
private func finish(_ update: () throws -> SpentUpdate, host: HostContext, what: String) -> tollgate_type_status {
    do {
        let result = try update()
        if let durable = result.durable {
            CallContext.current?.requireDurable(writer: durable.writer, ticket: durable.ticket)
        }
        return OK
    } catch CounterStoreError.notFound {
        return NOT_FOUND
    } catch CounterStoreError.invalid {
        return INVALID
    } catch {
        host.logger.error("counter \(what) not persisted: \(error)")
        return UNAVAILABLE
    }
}

private let hostCounterDeclare: tollgate_callback_counter_declare = { host, spec, idOut in
    guard let host = HostContext.from(host), let spec else { return INVALID }
    if let refusal = HostFunction.counterDeclare.refusal(in: host.phase, present: idOut != nil) { return refusal }
    guard let idOut, Int(spec.pointee.struct_size) >= MemoryLayout<tollgate_type_counter_spec>.size,
          let name = spec.pointee.name.validatedString, !name.isEmpty,
          spec.pointee.limit >= 0,
          let window = CounterWindow(rawValue: spec.pointee.window)
    else { return INVALID }
    let persist = spec.pointee.flags & TOLLGATE_COUNTER_PERSIST != 0
    do {
        idOut.pointee = try host.services.counters.declare(CounterSpec(name: name, limit: spec.pointee.limit,
                                                                       window: window, persist: persist))
        return OK
    } catch CounterStoreError.invalid {
        return INVALID
    } catch {
        host.logger.error("cannot declare counter \(name): \(error)")
        return UNAVAILABLE
    }
}

private let hostCounterReserve: tollgate_callback_counter_reserve = {
    host, ids, amounts, count, flags, reservationOut, refusedIndexOut, refusedStateOut in
    reserve(.counterReserve, host, ids, amounts, nil, count, flags, reservationOut, refusedIndexOut, refusedStateOut)
}

private let hostCounterReserveCapped: tollgate_callback_counter_reserve_capped = {
    host, ids, amounts, ceilings, count, flags, reservationOut, refusedIndexOut, refusedStateOut in
    guard ceilings != nil else { return INVALID }
    return reserve(.counterReserveCapped, host, ids, amounts, ceilings, count, flags, reservationOut, refusedIndexOut,
                   refusedStateOut)
}

/// counter_reserve, and with ceilings counter_reserve_capped (1.5).
private func reserve(_ function: HostFunction, _ host: OpaquePointer?, _ ids: UnsafePointer<UInt32>?,
                     _ amounts: UnsafePointer<Int64>?, _ ceilings: UnsafePointer<Int64>?, _ count: Int, _ flags: UInt32,
                     _ reservationOut: UnsafeMutablePointer<UInt64>?, _ refusedIndexOut: UnsafeMutablePointer<Int>?,
                     _ refusedStateOut: UnsafeMutablePointer<tollgate_type_counter_state>?) -> tollgate_type_status {
    guard let host = HostContext.from(host), count > 0, let ids, let amounts else { return INVALID }
    if let refusal = function.refusal(in: host.phase, present: reservationOut != nil, refusedIndexOut != nil) {
        return refusal
    }
    guard let reservationOut, let refusedIndexOut else { return INVALID }
    var items: [(counter: UInt32, amount: Int64)] = []
    items.reserveCapacity(count)
    for i in 0..<count { items.append((ids[i], amounts[i])) }
    let caps = ceilings.map { c in (0..<count).map { c[$0] } }
    do {
        switch try host.services.counters.reserve(items, ceilings: caps, force: flags & TOLLGATE_RESERVE_FORCE != 0) {
        case .reserved(let id):
            reservationOut.pointee = id
            refusedIndexOut.pointee = count
            return OK
        case .forced(let id, let over):
            reservationOut.pointee = id
            refusedIndexOut.pointee = over
            return OK
        case .refused(let index, let state):
            refusedIndexOut.pointee = index
            if let refusedStateOut { write(state, to: refusedStateOut) }
            return REFUSED
        }
    } catch CounterStoreError.unavailable(let why) {
        // The shared counter store did not answer: the plugin's fail
        // policy decides (the budget plugin's: refuse, 503).
        host.logger.error("counter reserve: \(why)")
        return UNAVAILABLE
    } catch {
        return INVALID
    }
}

private let hostCounterSettle: tollgate_callback_counter_settle = { host, reservation, amounts, count in
    guard let host = HostContext.from(host), count == 0 || amounts != nil else { return INVALID }
    let actual = (0..<count).map { amounts![$0] }
    guard actual.allSatisfy({ $0 >= 0 }) else { return INVALID }
    return finish({ try host.services.counters.settle(reservation, actual: actual) }, host: host, what: "settle")
}

private let hostCounterRelease: tollgate_callback_counter_release = { host, reservation in
    guard let host = HostContext.from(host) else { return INVALID }
    return host.services.counters.release(reservation) ? OK : NOT_FOUND
}

private let hostCounterAdd: tollgate_callback_counter_add = { host, counter, amount in
    guard let host = HostContext.from(host), amount >= 0 else { return INVALID }
    guard host.services.counters.spec(counter) != nil else { return INVALID }
    return finish({ try host.services.counters.add(counter, amount: amount) }, host: host, what: "add")
}

private let hostCounterGet: tollgate_callback_counter_get = { host, counter, out in
    guard let host = HostContext.from(host) else { return INVALID }
    if let refusal = HostFunction.counterGet.refusal(in: host.phase, present: out != nil) { return refusal }
    guard let out else { return INVALID }
    guard let state = host.services.counters.state(counter) else { return INVALID }
    write(state, to: out)
    return OK
}
