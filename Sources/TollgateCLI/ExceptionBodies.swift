import TollgateJSON
import TollgateUnits

/// What `tollgate exception request` and `tollgate burst draw` were given
/// (nil: not given). The body uses the admin API's keys (docs/governance.md,
/// "Exceptions and the burst pool").
package struct RaiseFields: Equatable, Sendable {
    package var grant: String
    /// production or experimentation; the gateway needs it only when the
    /// grant has an amount per class.
    package var raiseClass: String?
    /// USD, as for a grant ("6", "$6", "1250.50").
    package var amount: String?
    /// A whole percentage of the grant's amount (1-1000).
    package var percent: Int64?
    /// A date (from its start, UTC) or an RFC 3339 time; default: now.
    package var starts: String?
    /// A date (through that day, UTC) or an RFC 3339 time.
    package var ends: String
    package var reason: String
    package var useCase: String?

    package init(grant: String, raiseClass: String? = nil, amount: String? = nil, percent: Int64? = nil, starts: String? = nil,
                 ends: String, reason: String, useCase: String? = nil) {
        self.grant = grant
        self.raiseClass = raiseClass
        self.amount = amount
        self.percent = percent
        self.starts = starts
        self.ends = ends
        self.reason = reason
        self.useCase = useCase
    }
}

package enum RaiseBody {
    /// The body of `POST /admin/exceptions`: an amount or a percentage,
    /// one of them.
    package static func request(_ f: RaiseFields) throws -> JSONValue {
        switch (f.amount, f.percent) {
        case (nil, nil): throw BodyError("give the raise as --amount USD or --percent N (of the grant's amount)")
        case (_?, _?): throw BodyError("give --amount or --percent, not both")
        default: break
        }
        return try make(f)
    }

    /// The body of `POST /admin/burst/draws`: an amount in USD.
    package static func draw(_ f: RaiseFields) throws -> JSONValue {
        guard f.percent == nil else { throw BodyError("a burst draw is an amount: give --amount USD") }
        guard f.amount != nil else { throw BodyError("burst draw needs --amount USD") }
        return try make(f)
    }

    private static func make(_ f: RaiseFields) throws -> JSONValue {
        let grant = f.grant.trimmingCharacters(" ")
        guard !grant.isEmpty else { throw BodyError("--grant: which grant (its id)") }
        let reason = f.reason.trimmingCharacters(" ")
        guard !reason.isEmpty else { throw BodyError("--reason: say why, in writing (the approver and the log read it)") }
        guard !f.ends.trimmingCharacters(" ").isEmpty else { throw BodyError("--ends: a date (2026-12-31, through that day) or an RFC 3339 time") }
        var body = JSONObject()
        body["grant"] = .string(grant)
        if let raiseClass = f.raiseClass { body["class"] = .string(raiseClass) }
        if let amount = f.amount {
            let usd = try GrantBody.usd(amount, option: "--amount")
            guard let nanos = Money.parseUSD(usd), nanos > 0 else { throw BodyError("--amount '\(amount)': a raise is more than zero") }
            body["amount"] = .string(usd)
        }
        if let percent = f.percent {
            guard (1...1000).contains(percent) else { throw BodyError("--percent \(percent): a whole percentage from 1 to 1000") }
            body["percent"] = .int(percent)
        }
        if let starts = f.starts { body["starts"] = .string(starts) }
        body["ends"] = .string(f.ends)
        body["reason"] = .string(reason)
        if let useCase = f.useCase { body["use_case"] = .string(useCase) }
        return .object(body)
    }
}

package enum DecisionBody {
    /// `POST /admin/exceptions/ID/approve`: `{"condition": ...}` when one is given.
    package static func approve(condition: String?) -> JSONValue {
        guard let condition, !condition.trimmingCharacters(" ").isEmpty else { return .object(JSONObject()) }
        return .object(JSONObject([("condition", .string(condition))]))
    }

    /// `POST /admin/exceptions/ID/deny`: a denial says why.
    package static func deny(reason: String) throws -> JSONValue {
        guard !reason.trimmingCharacters(" ").isEmpty else { throw BodyError("--reason: a denial says why") }
        return .object(JSONObject([("reason", .string(reason))]))
    }
}

/// The paths of the exception log.
package enum ExceptionQuery {
    /// What an entry's status may be (docs/governance.md, "The exception log").
    package static let statuses = ["pending", "approved", "active", "lapsed", "denied", "expired"]

    /// `GET /admin/exceptions[?status=a,b]`; `status` as given ("pending, active").
    package static func listPath(status: String?) throws -> String {
        guard let status else { return "/admin/exceptions" }
        let wanted = status.split(separator: ",").map { String($0).trimmingCharacters(" ") }.filter { !$0.isEmpty }
        guard !wanted.isEmpty else { throw BodyError("--status '\(status)': give statuses separated by commas (\(statuses.joined(separator: ", ")))") }
        if let unknown = wanted.first(where: { !statuses.contains($0) }) {
            throw BodyError("--status: '\(unknown)' is not a status (\(statuses.joined(separator: ", ")))")
        }
        return "/admin/exceptions?status=" + wanted.joined(separator: ",")
    }

    package static func entryPath(_ id: String, _ action: String? = nil) -> String {
        "/admin/exceptions/" + AdminClient.pathSegment(id) + (action.map { "/" + $0 } ?? "")
    }
}
