import TollgatePluginKit

extension Tagging {
    public func preCall(_ call: Call) throws -> PreCallVerdict {
        for tag in TagCollector.identity(of: call) { call.setAttribute(tag.name, tag.value) }
        let collected = TagCollector.collect(headers: call.requestHeaders, metadata: call.metadata)
        let keyClass = call.keyClass
        let evaluation = config.taxonomy.evaluate(collected, keyClass: keyClass, org: call.org)
        for tag in evaluation.tags { call.setAttribute(tag.name, tag.value) }
        guard !evaluation.problems.isEmpty else { return .continue }

        let names = evaluation.problems.map(\.tag)
        call.setAttribute(TagName.untagged, names.joined(separator: ","))
        if evaluation.rejected {
            refusedMetric.record(1)
            let missingOnly = evaluation.problems.allSatisfy { if case .missing = $0 { return true } else { return false } }
            return call.reject(status: 400, type: "invalid_request_error", code: missingOnly ? "missing_tags" : "invalid_tags",
                               message: config.taxonomy.explain(evaluation.problems, keyClass: keyClass))
        }
        for name in names { untaggedMetric.record(1, labels: [name]) }
        return .continue
    }

    public func postCall(_ call: Call) throws {
        guard writesLedger else { return }
        let row = LedgerRow(call: call, grants: grantPath(call), now: LedgerRow.nowMicros)
        let status = host.appendLedger(row.json)
        if status.isOK {
            rowsMetric.record(1, labels: [row.outcome])
        } else {
            lostRowsMetric.record(1)
            host.log(.error, "ledger row for request \(row.requestID) not written: the host answered \(status)", call: call)
        }
    }

    /// The grants the request was charged to, root first; none on a host
    /// without grants. A table the plugin cannot read costs the row its
    /// grants, never the row.
    func grantPath(_ call: Call) -> [Grant] {
        guard let grants else { return [] }
        do {
            return try grants.path(call)?.grants ?? []
        } catch {
            host.log(.error, "tagging: cannot read the request's grants (\(error)); its ledger row records none", call: call)
            return []
        }
    }
}
