import CTollgatePlugin
import NIOConcurrencyHelpers
import TollgateABI

// The ledger functions (ABI 1.6): thin adapters from the C table to
// `HostServices.ledger`. A row is validated by TollgateABI's
// LedgerRowRules (the fake host applies the same), queued for the
// ledger's group-commit writer, and — appended from a hook on the hook's
// thread — makes that call's response wait for its commit, as a counter
// settle does (CallContext.requireDurable).
func installLedgerCallbacks(_ t: UnsafeMutablePointer<tollgate_type_host_api>) {
    t.pointee.ledger_append = hostLedgerAppend
    t.pointee.ledger_read = hostLedgerRead
}

private let OK = tollgate_type_status(TOLLGATE_STATUS_OK)
private let INVALID = tollgate_type_status(TOLLGATE_STATUS_INVALID_ARGUMENT)
private let UNAVAILABLE = tollgate_type_status(TOLLGATE_STATUS_UNAVAILABLE)

private let hostLedgerAppend: tollgate_callback_ledger_append = { host, row in
    guard let host = HostContext.from(host) else { return INVALID }
    if let refusal = HostFunction.ledgerAppend.refusal(in: host.phase) { return refusal }
    guard row.len == 0 || row.ptr != nil else { return INVALID }
    guard let ledger = host.services.ledger else { return UNAVAILABLE }
    switch LedgerRowRules.parse(UnsafeRawBufferPointer(start: row.ptr, count: row.len)) {
    case .failure(let problem):
        host.logger.error("ledger_append: row refused: \(problem.message)")
        return INVALID
    case .success(let parsed):
        guard let ticket = ledger.append(parsed) else { return UNAVAILABLE }
        CallContext.current?.requireDurable(writer: ticket.writer, ticket: ticket.ticket)
        return OK
    }
}

private let hostLedgerRead: tollgate_callback_ledger_read = { host, pathOut in
    guard let host = HostContext.from(host) else { return INVALID }
    if let refusal = HostFunction.ledgerRead.refusal(in: host.phase, present: pathOut != nil) { return refusal }
    guard let ledger = host.services.ledger else { return UNAVAILABLE }
    do {
        pathOut!.pointee = LentPaths.lend(try ledger.readablePath())
        return OK
    } catch {
        host.logger.error("ledger_read: the ledger cannot be made readable: \(error)")
        return UNAVAILABLE
    }
}

/// The paths ledger_read lends: a store's read path is fixed for the
/// process, so each is copied once and kept for the process's life (longer
/// than the ABI's "until the next ledger_read or on_destroy").
private enum LentPaths {
    static let buffers = NIOLockedValueBox<[String: UnsafeMutableBufferPointer<UInt8>]>([:])

    static func lend(_ path: String) -> tollgate_type_str {
        let buffer = buffers.withLockedValue { buffers in
            if let buffer = buffers[path] { return buffer }
            let bytes = Array(path.utf8)
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
            _ = buffer.initialize(from: bytes)
            let lent = UnsafeMutableBufferPointer(rebasing: buffer[0..<bytes.count])
            buffers[path] = lent
            return lent
        }
        return tollgate_type_str(ptr: buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                 len: buffer.count)
    }
}
