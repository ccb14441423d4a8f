import TollgateSupport
import TollgateJSON
import TollgateUnits

/// The rules of the finance reports (`finance:` in the config,
/// docs/finance.md). Every field has a default, so a config without the
/// section still gets every report.
package struct FinancePolicy: Sendable, Equatable {
    /// When a team's forecast was too high for long enough to cut its next
    /// grant.
    package struct HaircutRule: Sendable, Equatable {
        /// Actuals below this share of the forecast count as an overestimate.
        package var belowPercent = 70
        /// This many overestimated periods in a row, ending at the reported one.
        package var periods = 2
        /// The cut applied to the next period's forecast (or, without one,
        /// to the team's current grant).
        package var cutPercent = 20

        package init(belowPercent: Int = 70, periods: Int = 2, cutPercent: Int = 20) {
            self.belowPercent = belowPercent
            self.periods = periods
            self.cutPercent = cutPercent
        }
    }

    package var haircut = HaircutRule()
    /// `tollgate report baseline` suggests a grant at this share of the
    /// daily baseline (the practice is 130–150%).
    package var baselineSuggestPercent = 140
    /// How many past periods `tollgate report forecast` shows, and
    /// `allocation propose` averages as trailing usage.
    package var historyPeriods = 6
    /// FOCUS's BillingAccountId / BillingAccountName: the provider account
    /// the spend is billed to (defaults: the org's name).
    package var billingAccountId: String?
    package var billingAccountName: String?
    /// `tollgate reconcile` calls a day-and-model cell matched when the
    /// ledger and the provider differ by at most this many basis points
    /// (1/100 of a percent) of the provider's figure.
    package var reconcileToleranceBasisPoints = 100

    package init() {}
}
