// The chargeback ledger (ABI 1.6): rows go to the host, which keeps them on
// whichever backend the gateway runs (a SQLite file, or that file shipped
// to PostgreSQL). See the "chargeback ledger" section of tollgate_plugin.h.
extension PluginHost {
    /// The host keeps a ledger for plugins (ABI 1.6): `appendLedger` and
    /// `ledgerReadPath` work. False on an older host.
    public var hasLedger: Bool {
        hostAPI.provides(\.ledger_read) && hostAPI.pointee.ledger_append != nil && hostAPI.pointee.ledger_read != nil
    }

    /// Appends one ledger row: a JSON object keyed by the ledger's column
    /// names (docs/ledger.md). Returns at once (the host's writer commits
    /// it); called from a hook, the call's response waits for the commit.
    /// `.invalidArgument` for a row the host refused (it logs why),
    /// `.unavailable` when the gateway keeps no ledger or it is closed, or
    /// on a host older than 1.6.
    @discardableResult
    public func appendLedger(_ row: JSONObject) -> HostStatus {
        appendLedger(json: JSONValue.object(row).serialized())
    }

    /// `appendLedger` with the row's JSON text as bytes.
    @discardableResult
    public func appendLedger(json: [UInt8]) -> HostStatus {
        guard hasLedger, let append = hostAPI.pointee.ledger_append else { return .unavailable }
        return json.withUnsafeBufferPointer { buffer in
            let str = tollgate_type_str(ptr: buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                        len: buffer.count)
            return HostStatus(rawValue: append(handle, str))
        }
    }

    /// Makes every row appended so far readable and returns the path of a
    /// SQLite file in the ledger's schema to open read-only (the ledger
    /// itself, or the host's read copy of a shared ledger). Blocks briefly:
    /// call it from a route or a thread of your own, not from a call hook.
    public func ledgerReadPath() throws -> String {
        guard hasLedger, let read = hostAPI.pointee.ledger_read else {
            throw HostStatusError(.unavailable, operation: "read the ledger (the host is older than ABI 1.6)")
        }
        var out = tollgate_type_str()
        let status = HostStatus(rawValue: read(handle, &out))
        guard status.isOK else { throw HostStatusError(status, operation: "read the ledger") }
        return String(tollgate: out)
    }
}
