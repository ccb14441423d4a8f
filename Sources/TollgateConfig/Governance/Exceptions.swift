import TollgateSupport
import TollgateJSON
import TollgateUnits

/// The rules of the exception workflow (`exceptions:` in the config).
package struct ExceptionPolicy: Sendable, Equatable {
    /// The longest window an exception or a burst draw may have.
    package var maxWindowDays = 31
    /// A pending request nobody decided expires after this.
    package var pendingExpiryHours = 72
    /// A reason shorter than this is refused: "launch" is not a reason.
    package var minReasonLength = 20
    /// The largest raise, as a percentage of the grant's amount: more is a
    /// new grant, for the committee.
    package var maxRaisePercent = 100

    package init() {}
}

/// An org's burst pool (`burst_pools:`): money lent to teams for a window,
/// within each team's borrowing limit and the pool's room, returned when
/// the window ends.
package struct BurstPool: Sendable, Equatable {
    package var org: String
    /// What may be lent at once, in nano-dollars.
    package var amountNanos: Int64
    /// Team name -> how much of the pool it may hold at once. A team not
    /// listed draws only through an approved exception.
    package var borrowLimits: [String: Int64]
    package var location: SourceLocation?

    package init(org: String, amountNanos: Int64, borrowLimits: [String: Int64]) {
        self.org = org
        self.amountNanos = amountNanos
        self.borrowLimits = borrowLimits
    }
}

/// A raise of one grant's amount for a window: an exception someone asked
/// for (and an approver decided), or a burst draw (granted at once within
/// the team's borrowing limit, else an exception too).
package struct GrantException: Sendable, Equatable {
    package enum Kind: String, Sendable { case exception, burst }
    /// What a person decided; the rest of the status is time.
    package enum Decision: String, Sendable { case pending, approved, denied }
    /// What the log shows.
    package enum Status: String, Sendable, CaseIterable {
        case pending, approved, denied, active, lapsed, expired
    }

    package var id: String
    package var kind: Kind
    package var grant: String
    /// The grant's bucket it raises ("production", "experimentation", "all").
    package var bucket: String
    package var amountNanos: Int64
    /// [startsAt, endsAt), Unix seconds.
    package var startsAt: Int64
    package var endsAt: Int64
    package var reason: String
    package var useCase: String?
    /// The org whose pool a burst draw is lent from.
    package var pool: String?
    package var requestedBy: String
    package var requestedAt: Int64
    /// A pending request nobody decided by then expires.
    package var expiresAt: Int64
    package var decision: Decision = .pending
    package var decidedBy: String?
    package var decidedAt: Int64?
    /// The approver's condition ("only for the launch campaign").
    package var condition: String?
    package var denialReason: String?
    /// A draw within the borrowing limit is granted when drawn, with no
    /// approver.
    package var immediate = false

    package init(id: String, kind: Kind, grant: String, bucket: String, amountNanos: Int64, startsAt: Int64, endsAt: Int64,
                 reason: String, requestedBy: String, requestedAt: Int64, expiresAt: Int64) {
        self.id = id
        self.kind = kind
        self.grant = grant
        self.bucket = bucket
        self.amountNanos = amountNanos
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.reason = reason
        self.requestedBy = requestedBy
        self.requestedAt = requestedAt
        self.expiresAt = expiresAt
    }

    package func status(now: Int64) -> Status {
        switch decision {
        case .denied: return .denied
        case .pending: return now >= expiresAt || now >= endsAt ? .expired : .pending
        case .approved:
            if now >= endsAt { return .lapsed }
            return now >= startsAt ? .active : .approved
        }
    }

    /// Approved and not over: it raises its grant's limit while `now` is in
    /// its window (plugins get every such raise and check the window).
    package func raises(at now: Int64) -> Bool { decision == .approved && now < endsAt }

    /// The counter that holds what was spent under it (the core names it;
    /// the budget plugin settles there what the raise admitted).
    package var spentCounter: String { "exception-spent:\(id)" }
}
