import TollgatePluginKit

/// Turns a finding into the alert the host delivers: kind spend_spike or
/// spend_projection, subject e.g. team/acme/payments, a one-line message
/// with today's spend, the baseline and the factor, and the numbers in
/// details (nano-dollars, exact).
enum AnomalyAlert {
    static func alert(for finding: SpikeDetector.Finding, factorMilli: Int64) -> Alert {
        let today = Money.format(nanos: finding.todayNanos)
        let baseline = Money.format(nanos: finding.baselineNanos)
        let factor = factorText(factorMilli)
        let date = UTCCalendar.day(finding.day * SpendHistory.secondsPerDay)
        let message: String
        switch finding.kind {
        case .spike:
            message = "\(finding.subject) spent \(today) today (\(date) UTC), at least \(factor)x its baseline of "
                + "\(baseline)/day over the last \(finding.baselineDays) days"
        case .projection:
            message = "\(finding.subject) is on course to spend \(Money.format(nanos: finding.projectedNanos ?? 0)) today "
                + "(\(date) UTC, \(today) so far), at least \(factor)x its baseline of \(baseline)/day over the last "
                + "\(finding.baselineDays) days"
        }
        var details: [(String, JSONValue)] = [
            ("date", .string(date)),
            ("today_nanos", .int(finding.todayNanos)),
            ("baseline_nanos_per_day", .int(finding.baselineNanos)),
            ("baseline_days", .int(finding.baselineDays)),
            ("factor", .number(factor)),
        ]
        if let projected = finding.projectedNanos { details.append(("projected_nanos", .int(projected))) }
        return Alert(severity: finding.critical ? .critical : .warning, kind: finding.kind.rawValue, subject: finding.subject,
                     message: message, dedupeKey: finding.dedupeKey, details: .object(JSONObject(details)))
    }

    /// 3000 -> "3", 2500 -> "2.5".
    static func factorText(_ milli: Int64) -> String {
        var fraction = String(milli % 1_000)
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return String(milli / 1_000) + (fraction.isEmpty ? "" : "." + fraction)
    }
}
