import TollgateSupport

/// One outcome report a team posted (`POST /v1/outcomes`): so many of a
/// metric (resolved tickets, merged PRs), attributed like a ledger row —
/// to the key's org and team, a feature, and the grants on that path —
/// so cost per outcome divides like by like.
package struct OutcomeRecord: Sendable, Equatable {
    /// Assigned by the store ("out_" and its row number); "" before.
    package var id = ""
    /// When it happened (Unix microseconds): the body's `time`, else receipt.
    package var atMicros: Int64
    package var receivedAtMicros: Int64
    package var org: String
    package var team: String
    package var feature: String?
    package var keyID: String
    package var metric: String
    package var count: Int64
    /// The requests that produced it (their x-request-id), when the team
    /// knows them.
    package var requestIDs: [String] = []
    /// The grants the outcome counts under, root first (as the ledger's
    /// `grant_ids`), and the owner of the deepest.
    package var grantIDs: [String] = []
    package var grantOwner: String?

    package init(atMicros: Int64, receivedAtMicros: Int64, org: String, team: String, feature: String?, keyID: String,
                 metric: String, count: Int64) {
        self.atMicros = atMicros
        self.receivedAtMicros = receivedAtMicros
        self.org = org
        self.team = team
        self.feature = feature
        self.keyID = keyID
        self.metric = metric
        self.count = count
    }
}

/// Outcomes summed over a range, one per (org, team, feature, grant path,
/// owner, metric): what the chargeback divides spend by.
package struct OutcomeTotal: Sendable, Equatable {
    package var org: String
    package var team: String
    package var feature: String?
    package var grantIDs: [String]
    package var grantOwner: String?
    package var metric: String
    package var count: Int64

    package init(org: String, team: String, feature: String?, grantIDs: [String], grantOwner: String?, metric: String, count: Int64) {
        self.org = org
        self.team = team
        self.feature = feature
        self.grantIDs = grantIDs
        self.grantOwner = grantOwner
        self.metric = metric
        self.count = count
    }
}
