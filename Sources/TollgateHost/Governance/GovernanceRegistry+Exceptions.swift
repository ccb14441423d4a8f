import Foundation
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateConfig

/// Exceptions and the burst pool: time-boxed raises of a grant, asked for
/// with a written reason, decided by an approver who is not the requester;
/// burst draws within a team's borrowing limit and the pool's room granted
/// at once. A raise lapses by itself at its window's end (the plugins read
/// the window); nothing is edited, every step is an event in the chain.
extension GovernanceRegistry {
    /// What an exception or a draw asks for, read from an API body.
    struct RaiseRequest {
        var grant: Grant
        var bucket: GrantBucket
        var amountNanos: Int64
        var startsAt: Int64
        var endsAt: Int64
        var reason: String
        var useCase: String?
    }

    // MARK: reads

    /// Every exception and draw, oldest first.
    package var exceptionLog: [GrantException] { lock.withLock { exceptions } }

    package func exception(_ id: String) -> GrantException? { lock.withLock { exceptions.first { $0.id == id } } }

    /// The org's pool, what is lent now and to whom.
    package func burstPool(org: String) -> BurstPool? { lock.withLock { burstPools[org] } }

    package var burstPoolList: [BurstPool] { lock.withLock { burstPools.values.sorted { $0.org < $1.org } } }

    /// Lent from `pool` at `now` (draws active now), per team.
    package func lent(from pool: String, at now: Int64) -> [String: Int64] {
        lock.withLock {
            var byTeam: [String: Int64] = [:]
            for draw in exceptions where draw.pool == pool && draw.decision == .approved && draw.startsAt <= now && now < draw.endsAt {
                let team = published.table[draw.grant]?.scope.team ?? ""
                byTeam[team, default: 0] = Saturating.add(byTeam[team, default: 0], draw.amountNanos)
            }
            return byTeam
        }
    }

    // MARK: changes

    /// Files an exception request against a grant: a team admin of the
    /// grant's team, or the master key.
    package func requestException(_ body: JSONValue, by actor: GovernanceActor) throws -> GrantException {
        try Self.refuseKeyHolder(actor)
        var id = ""
        return try commit({
            try requireRequester(actor)
            let raise = try readRaise(body, actor: actor)
            let event = exceptionEvent(kind: .exception, raise, pool: nil, immediate: false, actor: actor)
            id = event.subject
            return event
        }, result: { exceptions.first { $0.id == id }! })
    }

    /// Draws from the org's burst pool for a team grant: granted at once
    /// within the team's borrowing limit and the pool's room, else filed as
    /// an exception request for an approver (`immediate` false).
    package func drawBurst(_ body: JSONValue, by actor: GovernanceActor) throws -> GrantException {
        try Self.refuseKeyHolder(actor)
        var id = ""
        return try commit({
            try requireRequester(actor)
            let raise = try readRaise(body, actor: actor)
            guard raise.grant.scope.level == .team, let team = raise.grant.scope.team else {
                throw GovernanceError.invalid("grant: a burst draw raises a team grant; '\(raise.grant.id)' is a \(raise.grant.scope.level.rawValue) grant")
            }
            guard let pool = burstPools[raise.grant.scope.org] else {
                throw GovernanceError.conflict("org '\(raise.grant.scope.org)' has no burst pool (burst_pools in the config); request an exception instead")
            }
            let fitsPool = lentLocked(pool: pool.org, overlapping: raise.startsAt, raise.endsAt, team: nil) + raise.amountNanos <= pool.amountNanos
            let limit = pool.borrowLimits[team] ?? 0
            let fitsTeam = lentLocked(pool: pool.org, overlapping: raise.startsAt, raise.endsAt, team: team) + raise.amountNanos <= limit
            let event = exceptionEvent(kind: .burst, raise, pool: pool.org, immediate: fitsPool && fitsTeam, actor: actor)
            id = event.subject
            return event
        }, result: { exceptions.first { $0.id == id }! })
    }

    /// Approves a pending request: an approver whose scope holds the grant
    /// (or the master key), never the requester.
    package func approveException(_ id: String, condition: String?, by actor: GovernanceActor) throws -> GrantException {
        try Self.refuseKeyHolder(actor)
        return try commit({
            let exception = try decidableLocked(id, by: actor)
            if exception.kind == .burst, let pool = exception.pool.flatMap({ burstPools[$0] }) {
                let lent = lentLocked(pool: pool.org, overlapping: exception.startsAt, exception.endsAt, team: nil)
                guard Saturating.add(lent, exception.amountNanos) <= pool.amountNanos else {
                    throw GovernanceError.conflict("the burst pool of org '\(pool.org)' has \(Money.format(nanos: max(0, pool.amountNanos - lent))) "
                        + "of room in that window, less than the \(Money.format(nanos: exception.amountNanos)) drawn: the pool is never over-lent")
                }
            }
            let body: JSONValue = .object(JSONObject([("condition", condition.map { .string($0) } ?? .null)]))
            return GovernanceEvent(at: clock(), actor: actor.name, kind: .exceptionApproved, subject: id, body: body)
        }, result: { exceptions.first { $0.id == id }! })
    }

    /// Denies a pending request, with a reason.
    package func denyException(_ id: String, reason: String?, by actor: GovernanceActor) throws -> GrantException {
        try Self.refuseKeyHolder(actor)
        return try commit({
            guard let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty else {
                throw GovernanceError.invalid("reason: a denial says why")
            }
            _ = try decidableLocked(id, by: actor)
            let body: JSONValue = .object(JSONObject([("reason", .string(reason))]))
            return GovernanceEvent(at: clock(), actor: actor.name, kind: .exceptionDenied, subject: id, body: body)
        }, result: { exceptions.first { $0.id == id }! })
    }

    /// Checks the event log's hash chain.
    package func verifyLog() throws -> ChainVerification { try store.verify() }

    // MARK: inside the lock

    private func requireRequester(_ actor: GovernanceActor) throws {
        if let credential = actor.credential, credential.role != .teamAdmin {
            throw GovernanceError.forbidden("a \(credential.role.rawValue) credential cannot file requests; a team admin (or the master key) does")
        }
    }

    /// The approver may decide `id` now; else why not.
    private func decidableLocked(_ id: String, by actor: GovernanceActor) throws -> GrantException {
        guard let exception = exceptions.first(where: { $0.id == id }) else { throw GovernanceError.notFound("no exception '\(id)'") }
        if let credential = actor.credential {
            guard credential.role == .approver else {
                throw GovernanceError.forbidden("only an approver (or the master key) decides; credential '\(credential.id)' is a \(credential.role.rawValue)")
            }
            let scope = published.table[exception.grant]?.scope
            guard let scope, credential.covers(scope) else {
                throw GovernanceError.forbidden("credential '\(credential.id)' approves inside \(credential.scope) only; grant '\(exception.grant)' is outside it")
            }
        }
        guard actor.name != exception.requestedBy else {
            throw GovernanceError.forbidden("\(actor.name) filed '\(id)' and cannot decide it: requester and approver must be different credentials")
        }
        switch exception.status(now: clock()) {
        case .pending: return exception
        case .expired: throw GovernanceError.conflict("'\(id)' expired undecided at \(UTCCalendar.iso8601(min(exception.expiresAt, exception.endsAt)))")
        default: throw GovernanceError.conflict("'\(id)' was already decided (\(exception.decision.rawValue) by \(exception.decidedBy ?? "?"))")
        }
    }

    /// Money of `pool` lent (approved draws) over any part of [start, end),
    /// for one team or all: a pessimistic sum (every overlapping draw
    /// counts whole), so the pool can never be over-lent at any instant.
    private func lentLocked(pool: String, overlapping start: Int64, _ end: Int64, team: String?) -> Int64 {
        var sum: Int64 = 0
        for draw in exceptions where draw.kind == .burst && draw.pool == pool && draw.decision == .approved
            && draw.startsAt < end && start < draw.endsAt {
            if let team, published.table[draw.grant]?.scope.team != team { continue }
            sum = Saturating.add(sum, draw.amountNanos)
        }
        return sum
    }

    private func readRaise(_ body: JSONValue, actor: GovernanceActor) throws -> RaiseRequest {
        guard case .object(let fields) = body else { throw GovernanceError.invalid("the body must be a JSON object") }
        let allowed: Set<String> = ["grant", "amount", "percent", "class", "starts", "ends", "reason", "use_case"]
        if let unknown = fields.keys.first(where: { !allowed.contains($0) }) {
            throw GovernanceError.invalid("\(unknown): unknown field (expected: \(allowed.sorted().joined(separator: ", ")))")
        }
        guard let grantID = fields["grant"]?.stringValue else { throw GovernanceError.invalid("grant: which grant (its id) is required") }
        guard let grant = published.table[grantID] else { throw GovernanceError.invalid("grant: no grant '\(grantID)'") }
        guard !grant.isRevoked else { throw GovernanceError.conflict("grant '\(grantID)' is revoked") }
        if let credential = actor.credential, !credential.covers(grant.scope) {
            throw GovernanceError.forbidden("credential '\(credential.id)' acts inside \(credential.scope) only; grant '\(grantID)' (\(grant.scope)) is outside it")
        }
        let bucket: GrantBucket
        if let name = fields["class"]?.stringValue {
            guard let keyClass = KeyClass(rawValue: name), let found = grant.bucket(for: keyClass) else {
                throw GovernanceError.invalid("class: grant '\(grantID)' has no \(name) amount (it admits \(grant.grantClass.rawValue))")
            }
            bucket = found
        } else if grant.buckets.count == 1 {
            bucket = grant.buckets[0]
        } else {
            throw GovernanceError.invalid("class: grant '\(grantID)' has an amount per class; say which (production or experimentation)")
        }
        var amount: Int64
        switch (fields["amount"], fields["percent"]) {
        case (let value?, nil):
            guard let text = value.stringValue ?? (value.int64Value.map(String.init)), let nanos = Money.parseUSD(text), nanos > 0 else {
                throw GovernanceError.invalid("amount: a positive amount in USD such as \"500\"")
            }
            amount = nanos
        case (nil, let value?):
            guard let percent = value.int64Value, (1...1000).contains(percent) else {
                throw GovernanceError.invalid("percent: a whole percentage of the grant's amount, 1 to 1000")
            }
            amount = Saturating.multiplyDivide(bucket.amountNanos, percent, 100)
        default:
            throw GovernanceError.invalid("amount: give the raise as amount (USD) or percent (of the grant's amount), one of them")
        }
        let maxRaise = Saturating.multiplyDivide(bucket.amountNanos, Int64(exceptionPolicy.maxRaisePercent), 100)
        guard amount <= maxRaise else {
            throw GovernanceError.invalid("amount: \(Money.format(nanos: amount)) is more than \(exceptionPolicy.maxRaisePercent)% of the grant's "
                + "\(Money.format(nanos: bucket.amountNanos)) (exceptions.max_raise_percent); ask the committee for a new grant")
        }
        amount = max(1, amount)
        let now = clock()
        let starts = try fields["starts"].map { try instant($0, field: "starts") } ?? now
        guard let endsValue = fields["ends"] else { throw GovernanceError.invalid("ends: when the raise ends (a date or RFC 3339 time) is required") }
        let ends = try instant(endsValue, field: "ends")
        guard ends > now else { throw GovernanceError.invalid("ends: \(UTCCalendar.iso8601(ends)) is in the past") }
        guard ends > starts else { throw GovernanceError.invalid("ends: the window ends before it starts") }
        let days = (ends - max(starts, now) + 86_399) / 86_400
        guard days <= Int64(exceptionPolicy.maxWindowDays) else {
            throw GovernanceError.invalid("ends: a window of \(days) days is longer than \(exceptionPolicy.maxWindowDays) (exceptions.max_window_days)")
        }
        let reason = fields["reason"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard reason.count >= exceptionPolicy.minReasonLength else {
            throw GovernanceError.invalid("reason: a written reason of at least \(exceptionPolicy.minReasonLength) characters is required "
                + (reason.isEmpty ? "(none given)" : "(got \(reason.count))"))
        }
        return RaiseRequest(grant: grant, bucket: bucket, amountNanos: amount, startsAt: starts, endsAt: ends, reason: reason,
                            useCase: fields["use_case"]?.stringValue)
    }

    /// "2026-12-24" (its start, UTC) or an RFC 3339 instant.
    private func instant(_ value: JSONValue, field: String) throws -> Int64 {
        guard let text = value.stringValue else { throw GovernanceError.invalid("\(field): a date (2026-12-24) or an RFC 3339 time") }
        guard let end = ExpiryDate.firstInvalidSecond(text) else {
            throw GovernanceError.invalid("\(field): '\(text)' is not a date (2026-12-24) or an RFC 3339 time (2026-12-24T18:00:00Z)")
        }
        // A bare date means the start of that day, as people say "from the
        // 24th" and "until the 31st" (ends: the first instant after).
        return text.count == 10 && field == "starts" ? end - 86_400 : end
    }

    /// The event that files (or, `immediate`, grants) a raise; its id is
    /// the next in the log the registry has caught up on.
    private func exceptionEvent(kind: GrantException.Kind, _ raise: RaiseRequest, pool: String?, immediate: Bool,
                                actor: GovernanceActor) -> GovernanceEvent {
        let prefix = kind == .burst ? "burst" : "exc"
        let id = "\(prefix)-\(String(format: "%04d", exceptions.count + 1))"
        let now = clock()
        let body: JSONValue = .object(JSONObject([
            ("id", .string(id)), ("kind", .string(kind.rawValue)), ("grant", .string(raise.grant.id)),
            ("bucket", .string(raise.bucket.name)), ("amount_nanos", .int(raise.amountNanos)),
            ("starts_at", .int(raise.startsAt)), ("ends_at", .int(raise.endsAt)), ("reason", .string(raise.reason)),
            ("use_case", raise.useCase.map { .string($0) } ?? .null), ("pool", pool.map { .string($0) } ?? .null),
            ("expires_at", .int(now + Int64(exceptionPolicy.pendingExpiryHours) * 3_600)),
        ]))
        return GovernanceEvent(at: now, actor: actor.name, kind: immediate ? .burstDrawn : .exceptionRequested, subject: id, body: body)
    }

    /// The raises plugins see: approved and not over at `now`.
    func raisesLocked(now: Int64) -> [String: [GrantException]] {
        var out: [String: [GrantException]] = [:]
        for exception in exceptions where exception.raises(at: now) { out[exception.grant, default: []].append(exception) }
        return out
    }

    /// Replays an exception event.
    func applyException(_ event: GovernanceEvent) {
        let b = event.body
        switch event.kind {
        case .exceptionRequested, .burstDrawn:
            guard let id = b["id"]?.stringValue, let kind = b["kind"]?.stringValue.flatMap(GrantException.Kind.init(rawValue:)),
                  let grant = b["grant"]?.stringValue, let bucket = b["bucket"]?.stringValue,
                  let amount = b["amount_nanos"]?.int64Value, let starts = b["starts_at"]?.int64Value,
                  let ends = b["ends_at"]?.int64Value, let reason = b["reason"]?.stringValue else { return }
            var exception = GrantException(id: id, kind: kind, grant: grant, bucket: bucket, amountNanos: amount, startsAt: starts,
                                           endsAt: ends, reason: reason, requestedBy: event.actor, requestedAt: event.at,
                                           expiresAt: b["expires_at"]?.int64Value ?? ends)
            exception.useCase = b["use_case"]?.stringValue
            exception.pool = b["pool"]?.stringValue
            if event.kind == .burstDrawn {
                exception.decision = .approved
                // Granted by the pool's rules, not by a person.
                exception.immediate = true
                exception.decidedAt = event.at
            }
            exceptions.append(exception)
        case .exceptionApproved, .exceptionDenied:
            guard let index = exceptions.firstIndex(where: { $0.id == event.subject }) else { return }
            exceptions[index].decision = event.kind == .exceptionApproved ? .approved : .denied
            exceptions[index].decidedBy = event.actor
            exceptions[index].decidedAt = event.at
            exceptions[index].condition = b["condition"]?.stringValue
            exceptions[index].denialReason = b["reason"]?.stringValue
        default:
            break
        }
    }
}
