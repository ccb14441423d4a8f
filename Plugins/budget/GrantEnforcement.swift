#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import TollgatePluginKit

/// Money on grants (ABI 1.5): the core says which grants a request is on;
/// the plugin admits it on each (revoked, expired, grace), then reserves
/// the request's estimate on the bucket of its key class of every grant on
/// the path, all at once, each up to its ceiling (the amount; for
/// production traffic under `production_at_cap: open`, the hard tier).
/// Settled in post_call with the real cost like the budgets.
///
/// Raises (approved exceptions and burst draws, in the table's `raises`)
/// add to a bucket's amount while the request's time is in their window;
/// ceilings are computed from that effective amount. A request is first
/// reserved against the ceilings without raises; when a grant refuses and
/// its bucket has an active raise, that grant's ceiling is raised and the
/// reservation tried again (one grant at a time, as the host names them).
/// A request admitted that way is attributed to the active raises of the
/// grants it had to raise: the `exception_ids` attribute, and its settled
/// cost added to each raise's spent counter.
final class GrantEnforcement {
    let host: PluginHost
    let cache: GrantCache
    let counters: GrantCounters
    let metrics: GrantMetrics
    let alerts: GrantAlerts

    /// nil on a host without grants (older than ABI 1.5): grants are skipped.
    init?(host: PluginHost, markers: AlertMarkers) throws {
        guard host.hasGrants else { return nil }
        self.host = host
        let counters = GrantCounters(host: host)
        self.counters = counters
        cache = GrantCache(host: host) { table in
            do {
                try counters.declare(table)
            } catch {
                // pre_call declares again (and fails the request) if this
                // version's counters are still missing then.
                host.log(.error, "budget: cannot declare the counters of grant table version \(table.version): \(error)")
            }
        }
        metrics = try GrantMetrics(host: host)
        alerts = GrantAlerts(host: host, markers: markers)
        let table = try cache.refresh()
        host.log(.info, "budget: \(table.grants.count) grants (table version \(table.version))")
    }

    /// The charges of one request: which bucket of which grant, and the
    /// ceiling each is reserved up to.
    struct Charges {
        let table: GrantTable
        let slots: GrantSlots
        /// (grant index, bucket index), root first.
        var items: [(grant: Int, bucket: Int)] = []
        /// Without raises.
        var ceilings: [Int64] = []
        /// Parallel to `items` once one of them has an active raise that
        /// lifts its ceiling; empty otherwise (the usual case).
        var raises: [ItemRaises?] = []

        func raises(at index: Int) -> ItemRaises? { raises.isEmpty ? nil : raises[index] }
    }

    /// The raises of one charged bucket active at the request's time.
    struct ItemRaises {
        let active: [Grant.Raise]
        /// Their saturating sum.
        let total: Int64
        /// The ceiling computed from amount + total.
        let ceiling: Int64
    }

    enum Admission {
        /// Not on any grant that has a bucket for its class.
        case none
        case charge(Charges)
        case refused(PreCallVerdict)
    }

    // MARK: pre_call

    /// Admission on every grant on the path, in path order.
    func admit(_ call: Call, now: Int64) throws -> Admission {
        guard let keyClass = call.keyClass else { return .none }
        // nil from a host with grants: it refused call_grants, or the table
        // changed twice while the path was read. Ask once more; money must
        // not go unguarded because of a race (fail closed).
        guard let (table, grants) = try cache.path(call) ?? cache.path(call) else {
            throw PluginError("budget: the gateway did not say which grants the request is on")
        }
        guard !grants.isEmpty else { return .none }
        let production = keyClass == "production"
        var charges: Charges?
        for grant in grants {
            guard let bucketIndex = grant.buckets.firstIndex(where: { $0.classes.contains(keyClass) }) else { continue }
            switch grant.admission(keyClass: keyClass, now: now) {
            case .open, .grace:
                break
            case .revoked:
                return .refused(refuseAdmission(call, grant, bucket: bucketIndex, table: table, code: "grant_revoked", now: now))
            case .expired:
                return .refused(refuseAdmission(call, grant, bucket: bucketIndex, table: table, code: "grant_expired", now: now))
            }
            if charges == nil { charges = Charges(table: table, slots: try counters.slots(for: table)) }
            let bucket = grant.buckets[bucketIndex]
            let ceiling = Self.ceiling(grant, amount: bucket.amountNanos, production: production)
            charges!.items.append((grant.index, bucketIndex))
            charges!.ceilings.append(ceiling)
            if !grant.raises.isEmpty {
                let (total, active) = grant.raise(forBucket: bucket.name, at: now)
                let raised = Self.ceiling(grant, amount: Saturating.add(bucket.amountNanos, total), production: production)
                if !active.isEmpty, raised > ceiling {
                    if charges!.raises.isEmpty { charges!.raises = Array(repeating: nil, count: charges!.items.count - 1) }
                    charges!.raises.append(ItemRaises(active: active, total: total, ceiling: raised))
                    continue
                }
            }
            if !charges!.raises.isEmpty { charges!.raises.append(nil) }
        }
        return charges.map { .charge($0) } ?? .none
    }

    /// How far one request may take a bucket: its amount, or for production
    /// traffic on a grant that fails open at the cap, amount x hard% (exact
    /// in 128 bits, saturating).
    static func ceiling(_ grant: Grant, amount: Int64, production: Bool) -> Int64 {
        guard production, grant.productionAtCap != "refuse" else { return amount }
        return Saturating.multiplyDivide(amount, Int64(grant.tiers.hard), 100)
    }

    /// Reserves `estimate` on every charged bucket; the reservation goes in
    /// `state`. Returns the 429 when one does not fit.
    ///
    /// First against the ceilings without raises. When the host refuses a
    /// bucket that has active raises, its ceiling is raised and the whole
    /// reservation tried again; the loop ends when it fits, or when the
    /// refused bucket has no raise or was raised already (at most one try
    /// per bucket, plus one). Only requests refused without raises pay for
    /// more than one try.
    func reserve(_ charges: Charges, estimate: Int64, call: Call, state: BudgetCallState, now: Int64) throws -> PreCallVerdict? {
        var ceilings = charges.ceilings
        var raised: [Int] = []
        while true {
            let items = charges.items.indices.map { i in
                (charges.slots.slots[charges.items[i].grant][charges.items[i].bucket].counter, amount: estimate,
                 ceiling: ceilings[i])
            }
            switch host.reserve(items) {
            case .reserved(let id), .forced(let id, _):
                state.grantHold = GrantHold(reservation: id, charges: charges,
                                            admittedUnder: raised.isEmpty ? [] : attribute(call, charges, raised: raised))
                return nil
            case .refused(let index, let counter):
                if let extra = charges.raises(at: index), !raised.contains(index) {
                    ceilings[index] = extra.ceiling
                    raised.append(index)
                    continue
                }
                return refuse(call, charges, index: index, counter: counter, estimate: estimate, ceiling: ceilings[index],
                              raised: raised.contains(index), now: now)
            case .failed(let status):
                throw PluginError("budget: cannot reserve on grants (host answered \(status))")
            }
        }
    }

    /// A request admitted only because the buckets at `raised` (indices
    /// into the charges) were raised: the `exception_ids` attribute names
    /// their active raises (the ledger records it), and the spent counters
    /// post_call adds the cost to are returned.
    private func attribute(_ call: Call, _ charges: Charges, raised: [Int]) -> [AdmittedUnder] {
        var under: [AdmittedUnder] = []
        for index in raised {
            for raise in charges.raises(at: index)?.active ?? [] where !under.contains(where: { $0.id == raise.id }) {
                let counter = charges.slots.raiseCounters[raise.counter]
                if counter == nil { host.log(.error, "budget: no spent counter for raise \(raise.id) (\(raise.counter))", call: call) }
                under.append(AdmittedUnder(id: raise.id, counter: counter))
            }
        }
        call.setAttribute(Self.exceptionIDsAttribute, under.map(\.id).joined(separator: ","))
        return under
    }

    /// The request attribute naming the raises a request was admitted
    /// under, comma-separated.
    static let exceptionIDsAttribute = "exception_ids"

    private func refuse(_ call: Call, _ charges: Charges, index: Int, counter: CounterState, estimate: Int64, ceiling: Int64,
                        raised: Bool, now: Int64) -> PreCallVerdict {
        let (grantIndex, bucketIndex) = charges.items[index]
        let grant = charges.table.grants[grantIndex]
        let bucket = grant.buckets[bucketIndex]
        let slot = charges.slots.slots[grantIndex][bucketIndex]
        let keyClass = call.keyClass ?? "unknown"
        let raises = raised ? charges.raises(at: index) : nil
        metrics.rejections.record(1, labels: slot.labels)
        alerts.refused(grant, bucket: bucket, state: counter, keyClass: keyClass, keyID: call.keyID ?? "unknown",
                       ceiling: ceiling, now: now)
        let rejection = GrantRejection(grant: grant, bucket: bucket, keyClass: keyClass, state: counter, ceiling: ceiling,
                                       estimate: estimate, raises: raises?.active ?? [], raisedNanos: raises?.total ?? 0)
        if let seconds = RetryAfter.seconds(state: counter, limit: ceiling, estimate: estimate, resets: grant.window != .none) {
            call.setResponseHeader("retry-after", String(seconds))
        }
        call.setResponseHeader("x-tollgate-grant", grant.id)
        return call.reject(status: 429, type: "budget_exceeded", code: "grant_exceeded", message: rejection.message)
    }

    private func refuseAdmission(_ call: Call, _ grant: Grant, bucket: Int, table: GrantTable, code: String,
                                 now: Int64) -> PreCallVerdict {
        if let slots = try? counters.slots(for: table) {
            metrics.rejections.record(1, labels: slots.slots[grant.index][bucket].labels)
        }
        call.setResponseHeader("x-tollgate-grant", grant.id)
        let message = GrantRejection.admissionMessage(grant, keyClass: call.keyClass ?? "unknown", revoked: code == "grant_revoked",
                                                      now: now)
        return call.reject(status: 403, type: "permission_error", code: code, message: message)
    }

    // MARK: post_call

    /// Settles (`cost` on every bucket) or releases the request's grant
    /// reservation, then publishes the buckets' figures and raises the
    /// tiers they reached (of the effective amount: raises active when the
    /// request came in count). A settled request admitted under raises
    /// adds its cost to each one's spent counter.
    func finish(_ hold: GrantHold, settle: Bool, cost: Int64, call: Call) {
        let charges = hold.charges
        let status = settle ? host.settle(hold.reservation, amounts: Array(repeating: cost, count: charges.items.count))
                            : host.release(hold.reservation)
        if !status.isOK {
            host.log(.error, "budget: grant \(settle ? "settle" : "release") failed: \(status)", call: call)
        }
        if settle, cost > 0 {
            for raise in hold.admittedUnder {
                guard let counter = raise.counter else { continue }
                let added = host.add(counter, amount: cost)
                if !added.isOK { host.log(.error, "budget: cannot add to the spent counter of raise \(raise.id): \(added)", call: call) }
            }
        }
        for (i, (grantIndex, bucketIndex)) in charges.items.enumerated() {
            let slot = charges.slots.slots[grantIndex][bucketIndex]
            let counter = host.counterState(slot.counter)
            metrics.publish(slot, counter)
            if settle, cost > 0, let counter {
                let grant = charges.table.grants[grantIndex]
                alerts.check(grant, bucket: grant.buckets[bucketIndex], slot: slot, state: counter,
                             raisedNanos: charges.raises(at: i)?.total ?? 0)
            }
        }
    }

    /// Unix seconds now, for views (a request uses its received time).
    static func wallClock() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec)
    }
}

/// A request's reservation on its grants.
struct GrantHold {
    let reservation: ReservationID
    let charges: GrantEnforcement.Charges
    /// The raises it was admitted under (empty when it fit without one).
    let admittedUnder: [AdmittedUnder]
}

/// A raise a request was admitted under, and its spent counter.
struct AdmittedUnder {
    let id: String
    /// nil when it could not be declared (logged; the attribute still names it).
    let counter: CounterID?
}

/// What a request refused on a grant is told: which grant, whose, its
/// numbers, when it resets, and how to get more.
struct GrantRejection {
    let grant: Grant
    let bucket: Grant.Bucket
    let keyClass: String
    let state: CounterState
    let ceiling: Int64
    let estimate: Int64
    /// The raises the ceiling includes (active on the refusing bucket).
    var raises: [Grant.Raise] = []
    var raisedNanos: Int64 = 0

    /// "Grant exceeded: grant 'recs' (team/acme/recs, owner lead@acme.com),
    /// production limit $150.00 (hard tier: 150% of its $100.00 amount), spent $149.90,
    /// in flight $0.20; resets 2026-02-01T00:00:00Z. This request reserves up
    /// to $0.41. For more, ask lead@acme.com or run: tollgate exception
    /// request --grant recs --amount <USD> --reason "..."".
    ///
    /// With a raise on the refusing bucket: "experimentation limit $1.50
    /// (its $1.00 amount + $0.50 raised; limit includes +$0.50 from
    /// exc-0001 until 2026-01-02T00:00:00Z)".
    var message: String {
        let amount = state.limit
        var text = "Grant exceeded: grant '\(grant.id)' (\(grant.scope), owner \(grant.owner)), \(keyClass) limit "
            + Money.format(nanos: ceiling)
        if raises.isEmpty {
            if ceiling != amount {
                text += " (hard tier: \(grant.tiers.hard)% of its \(Money.format(nanos: amount)) amount)"
            } else if keyClass == "production" {
                text += " (its amount: the grant refuses production at the cap)"
            } else {
                text += " (its amount)"
            }
        } else {
            let effective = Saturating.add(amount, raisedNanos)
            let parts = "its \(Money.format(nanos: amount)) amount + \(Money.format(nanos: raisedNanos)) raised"
            if ceiling != effective {
                text += " (hard tier: \(grant.tiers.hard)% of \(Money.format(nanos: effective)), \(parts)"
            } else if keyClass == "production" {
                text += " (\(parts): the grant refuses production at the cap"
            } else {
                text += " (\(parts)"
            }
            text += "; limit includes " + raises.map {
                "+\(Money.format(nanos: $0.amountNanos)) from \($0.id) until \(UTCCalendar.iso8601($0.endsAt))"
            }.joined(separator: " and ") + ")"
        }
        text += ", spent \(Money.format(nanos: state.spent)), in flight \(Money.format(nanos: state.reserved)); "
        text += grant.window == .none ? "a total grant does not reset" : "resets \(UTCCalendar.iso8601(state.windowEnd))"
        if estimate > ceiling {
            text += ". This request alone may cost up to \(Money.format(nanos: estimate)), more than the limit: lower max_tokens"
        } else {
            text += ". This request reserves up to \(Money.format(nanos: estimate))"
        }
        return text + ". " + Self.howToGetMore(grant)
    }

    static func howToGetMore(_ grant: Grant) -> String {
        "For more, ask \(grant.owner) (the grant's owner) or request an exception: "
            + "tollgate exception request --grant \(grant.id) --amount <USD> --ends <DATE> --reason \"...\""
    }

    /// The renewal date as the gateway writes it ("2026-03-31", the last
    /// day the grant admits spend).
    static func renewalDate(_ grant: Grant) -> String? {
        grant.json["renews"]?.stringValue ?? grant.renewsAt.map { UTCCalendar.day($0 - 1) }
    }

    /// The 403 of a revoked or expired grant.
    static func admissionMessage(_ grant: Grant, keyClass: String, revoked: Bool, now: Int64) -> String {
        let named = "Grant '\(grant.id)' (\(grant.scope), owner \(grant.owner))"
        let renews = renewalDate(grant)
        var text: String
        if revoked {
            text = "\(named) was revoked: requests on it are refused"
            text += renews.map { " (it was to renew on \($0))" } ?? ""
            // No exception raises a revoked grant: a new grant is the way.
            text += ". Ask \(grant.owner) about a new grant"
        } else {
            text = "\(named) expired: its renewal date was \(renews ?? "unknown") and it has not been renewed"
            if keyClass != "production", grant.onExpiry == "grace", let until = grant.graceUntil, now < until {
                text += " (production traffic is admitted in grace until \(UTCCalendar.iso8601(until)); \(keyClass) traffic is not)"
            }
            // An exception raises a grant's amount, not its date: renewal is the way.
            text += ". To renew it, ask \(grant.owner) (the grant's owner): "
                + (grant.source == "minted"
                    ? "its team admin runs tollgate grant update \(grant.id) --renews <DATE>"
                    : "the committee moves its renewal date (renews: in the config) and reloads")
        }
        return text
    }
}
