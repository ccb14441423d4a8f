import NIOHTTP1
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost

/// The exception workflow and the burst pool (docs/governance.md):
///   GET  /admin/exceptions[?status=pending,active]   the log (a credential sees its scope)
///   POST /admin/exceptions                           file a request (team admin, master)
///   GET  /admin/exceptions/ID
///   POST /admin/exceptions/ID/approve                {condition} (approver, master; not the requester)
///   POST /admin/exceptions/ID/deny                   {reason}
///   GET  /admin/exceptions/verify                    check the log's hash chain
///   GET  /admin/burst                                the pools: room, lent, borrowing limits
///   POST /admin/burst/draws                          draw (201 granted, 202 filed for approval)
extension AdminRoutes {
    static func exceptions(_ request: RoutedRequest, _ generation: Generation, actor: GovernanceActor) -> Bool {
        let method = request.head.method
        let path = request.path
        let gateway = request.gateway
        let registry = gateway.services.governance
        let now = MonotonicClock.wallMicros() / 1_000_000
        switch (method, path) {
        case (.GET, "/admin/exceptions"):
            let wanted = Set(request.queryValue("status")?.split(separator: ",").map(String.init) ?? [])
            let table = registry.current.table
            let visible = registry.exceptionLog.filter { exception in
                (wanted.isEmpty || wanted.contains(exception.status(now: now).rawValue))
                    && (actor.credential.map { c in table[exception.grant].map { c.covers($0.scope) } ?? false } ?? true)
            }
            sendGovernanceJSON(request, 200, .object(JSONObject([
                ("as_of", .string(UTCCalendar.iso8601(now))),
                ("exceptions", .array(visible.map { exceptionJSON($0, gateway: gateway, now: now) })),
            ])))
        case (.POST, "/admin/exceptions"):
            performGovernance(request, actor: actor, created: true) { body in
                let exception = try registry.requestException(body, by: actor)
                raise(gateway, exception, kind: "exception_requested", severity: .warning)
                return exceptionJSON(exception, gateway: gateway, now: now)
            }
        case (.GET, "/admin/exceptions/verify"):
            do {
                let check = try registry.verifyLog()
                sendGovernanceJSON(request, 200, .object(JSONObject([
                    ("events", .int(check.events)), ("intact", .bool(check.intact)),
                    ("first_broken", check.firstBroken.map { .int($0) } ?? .null),
                    ("problem", check.problem.map { .string($0) } ?? .null),
                ])))
            } catch {
                request.writer.sendError(.internalError("cannot read the governance log: \(error)"), dialect: .unrouted)
            }
        case (.GET, "/admin/burst"):
            let pools = registry.burstPoolList.filter { pool in actor.credential.map { $0.scope.org == pool.org } ?? true }
            sendGovernanceJSON(request, 200, .object(JSONObject([
                ("pools", .array(pools.map { pool in
                    let lent = registry.lent(from: pool.org, at: now)
                    let total = lent.values.reduce(Int64(0), Saturating.add)
                    return .object(JSONObject([
                        ("org", .string(pool.org)), ("amount_nanos", .int(pool.amountNanos)), ("amount", .string(Money.format(nanos: pool.amountNanos))),
                        ("lent_nanos", .int(total)), ("lent", .string(Money.format(nanos: total))),
                        ("room_nanos", .int(max(0, pool.amountNanos - total))), ("room", .string(Money.format(nanos: max(0, pool.amountNanos - total)))),
                        ("teams", .array(pool.borrowLimits.keys.sorted().map { team in
                            .object(JSONObject([("team", .string(team)), ("borrow_limit_nanos", .int(pool.borrowLimits[team]!)),
                                                ("borrow_limit", .string(Money.format(nanos: pool.borrowLimits[team]!))),
                                                ("lent_nanos", .int(lent[team] ?? 0)), ("lent", .string(Money.format(nanos: lent[team] ?? 0)))]))
                        })),
                    ]))
                })),
            ])))
        case (.POST, "/admin/burst/draws"):
            performGovernance(request, actor: actor, created: true) { body in
                let draw = try registry.drawBurst(body, by: actor)
                raise(gateway, draw, kind: draw.immediate ? "burst_drawn" : "exception_requested", severity: draw.immediate ? .info : .warning)
                guard case .object(var object) = exceptionJSON(draw, gateway: gateway, now: now) else { return .null }
                object["note"] = .string(draw.immediate
                    ? "Granted: within the team's borrowing limit and the pool's room."
                    : "Above the team's borrowing limit or the pool's room: filed as \(draw.id) for an approver.")
                return .object(object)
            } status: { json in json["decision"]?.stringValue == "pending" ? 202 : 201 }
        default:
            guard path.hasPrefix("/admin/exceptions/") else { return false }
            let rest = path.dropFirst("/admin/exceptions/".count).split(separator: "/").map(String.init)
            switch (method, rest.count, rest.last) {
            case (.GET, 1, _):
                guard let exception = registry.exception(rest[0]),
                      actor.credential.map({ c in registry.current.table[exception.grant].map { c.covers($0.scope) } ?? false }) ?? true else {
                    request.writer.sendError(.notFound("No exception '\(rest[0])'."), dialect: .unrouted)
                    return true
                }
                sendGovernanceJSON(request, 200, exceptionJSON(exception, gateway: gateway, now: now))
            case (.POST, 2, "approve"):
                performGovernance(request, actor: actor, bodyOptional: true) { body in
                    let exception = try registry.approveException(rest[0], condition: body["condition"]?.stringValue, by: actor)
                    raise(gateway, exception, kind: "exception_approved", severity: .info)
                    return exceptionJSON(exception, gateway: gateway, now: now)
                }
            case (.POST, 2, "deny"):
                performGovernance(request, actor: actor, bodyOptional: true) { body in
                    let exception = try registry.denyException(rest[0], reason: body["reason"]?.stringValue, by: actor)
                    raise(gateway, exception, kind: "exception_denied", severity: .info)
                    return exceptionJSON(exception, gateway: gateway, now: now)
                }
            default:
                return false
            }
        }
        return true
    }

    private static func raise(_ gateway: Gateway, _ exception: GrantException, kind: String, severity: Alert.Severity) {
        let grant = gateway.services.governance.current.table[exception.grant]
        _ = gateway.services.alerts.raise(GovernanceAlerts.alert(for: exception, kind: kind, severity: severity, grant: grant))
    }

    /// An exception as the log shows it, with what was spent under it (the
    /// budget plugin settles there what the raise admitted).
    static func exceptionJSON(_ e: GrantException, gateway: Gateway, now: Int64) -> JSONValue {
        let spent = gateway.services.counters.counters(withPrefix: e.spentCounter).first { $0.spec.name == e.spentCounter }?.state.spent ?? 0
        func text(_ v: String?) -> JSONValue { v.map { .string($0) } ?? .null }
        return .object(JSONObject([
            ("id", .string(e.id)), ("kind", .string(e.kind.rawValue)), ("grant", .string(e.grant)), ("bucket", .string(e.bucket)),
            ("amount_nanos", .int(e.amountNanos)), ("amount", .string(Money.format(nanos: e.amountNanos))),
            ("starts", .string(UTCCalendar.iso8601(e.startsAt))), ("ends", .string(UTCCalendar.iso8601(e.endsAt))),
            ("reason", .string(e.reason)), ("use_case", text(e.useCase)), ("pool", text(e.pool)),
            ("requested_by", .string(e.requestedBy)), ("requested_at", .string(UTCCalendar.iso8601(e.requestedAt))),
            ("expires", .string(UTCCalendar.iso8601(e.expiresAt))),
            ("decision", .string(e.decision.rawValue)), ("decided_by", text(e.decidedBy)),
            ("decided_at", e.decidedAt.map { .string(UTCCalendar.iso8601($0)) } ?? .null), ("condition", text(e.condition)),
            ("denial_reason", text(e.denialReason)), ("immediate", .bool(e.immediate)),
            ("status", .string(e.status(now: now).rawValue)),
            ("spent_under_nanos", .int(spent)), ("spent_under", .string(Money.format(nanos: spent))),
        ]))
    }
}
