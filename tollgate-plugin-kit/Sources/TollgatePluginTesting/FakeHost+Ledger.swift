import TollgateABI
import TollgatePluginKit

/// The ledger (ABI 1.6) as the fake host keeps it: the rows a plugin
/// appended, validated by the same rules as the gateway's
/// (`LedgerRowRules`), in memory. `ledger_read` answers with the path a
/// test's reader gives (`setLedgerReader`: e.g. a helper that writes the
/// rows into a SQLite file in the ledger's schema); without one it is
/// UNAVAILABLE, as on a gateway without a ledger.
final class FakeLedger: @unchecked Sendable {
    struct State {
        var enabled = true
        var rows: [JSONObject] = []
        var reader: (@Sendable ([JSONObject]) throws -> String)?
        /// Paths lent by ledger_read, kept until the host goes.
        var lent: [UnsafeMutableRawBufferPointer] = []
    }

    let state = Locked(State())

    deinit { state.withLock { $0.lent.forEach { $0.deallocate() } } }
}

extension FakeHost {
    /// Every row the plugin appended with ledger_append (and the host
    /// accepted), in order, as JSON objects.
    public var ledgerRows: [JSONObject] { ledger.state.withLock { $0.rows } }

    /// Turns the ledger off (ledger_append and ledger_read answer
    /// UNAVAILABLE, as on a gateway whose config keeps none) or on.
    public func setLedgerEnabled(_ enabled: Bool) {
        ledger.state.withLock { $0.enabled = enabled }
    }

    /// What ledger_read answers: `reader` gets every row appended so far
    /// and returns the path of a SQLite ledger file holding them.
    public func setLedgerReader(_ reader: @escaping @Sendable ([JSONObject]) throws -> String) {
        ledger.state.withLock { $0.reader = reader }
    }

    /// Forgets the rows appended so far.
    public func clearLedger() {
        ledger.state.withLock { $0.rows.removeAll() }
    }
}

extension FakeHostTable {
    static func installLedger(_ api: inout tollgate_type_host_api) {
        api.ledger_append = { hostPointer, row in
            guard let host = FakeHostTable.host(hostPointer) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            if let refusal = HostFunction.ledgerAppend.refusal(in: host.phase) { return refusal }
            guard row.len == 0 || row.ptr != nil else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            // As the gateway: no ledger is UNAVAILABLE before the row is looked at.
            guard host.ledger.state.withLock({ $0.enabled }) else { return TOLLGATE_STATUS_UNAVAILABLE }
            let bytes = UnsafeRawBufferPointer(start: row.ptr, count: row.len)
            let parsed: JSONObject
            switch LedgerRowRules.parse(bytes) {
            case .failure(let problem):
                host.recordings.withLock {
                    $0.logs.append(FakeHost.LogLine(level: .error, message: "ledger_append: row refused: \(problem.message)",
                                                    requestID: nil))
                }
                return TOLLGATE_STATUS_INVALID_ARGUMENT
            case .success:
                guard case .object(let object)? = try? JSONValue.parse(bytes) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
                parsed = object
            }
            return host.ledger.state.withLock { state in
                guard state.enabled else { return TOLLGATE_STATUS_UNAVAILABLE }
                state.rows.append(parsed)
                return TOLLGATE_STATUS_OK
            }
        }
        api.ledger_read = { hostPointer, out in
            guard let host = FakeHostTable.host(hostPointer) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            if let refusal = HostFunction.ledgerRead.refusal(in: host.phase, present: out != nil) { return refusal }
            let (enabled, rows, reader) = host.ledger.state.withLock { ($0.enabled, $0.rows, $0.reader) }
            guard enabled, let reader, let path = try? reader(rows) else { return TOLLGATE_STATUS_UNAVAILABLE }
            let bytes = Array(path.utf8)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
            buffer.copyBytes(from: bytes)
            host.ledger.state.withLock { $0.lent.append(buffer) }
            out!.pointee = tollgate_type_str(ptr: buffer.baseAddress!.assumingMemoryBound(to: CChar.self), len: bytes.count)
            return TOLLGATE_STATUS_OK
        }
    }
}
