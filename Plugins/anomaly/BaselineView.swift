#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TollgatePluginKit

/// GET /admin/anomaly/baseline?subject=team/ORG/TEAM (reader role): the
/// subject's daily baseline as the spike rule sees it now, and the factor,
/// so a chart can draw the baseline and the alert line (baseline x factor)
/// behind the spend. Narrowed to the caller's scope: an org admin or viewer
/// sees the subjects of its org, a team admin its team's.
enum BaselineView {
    /// May a caller of `callerScope` see `subject`?
    static func sees(_ subject: String, callerScope: String) -> Bool {
        if callerScope.isEmpty { return true }
        let caller = callerScope.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let parts = subject.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { return false }  // key/KEY: whole-gateway callers only
        if caller.count == 2, caller[0] == "org" { return parts[1] == caller[1] }
        if caller.count == 3, caller[0] == "team" { return parts[0] == "team" && parts[1] == caller[1] && parts[2] == caller[2] }
        return false
    }

    /// The view for `subject` on day `today` (days since the epoch, UTC).
    static func json(subject: String, today: Int64, history: SpendHistory, detector: SpikeDetector,
                     config: AnomalyConfig) -> JSONValue {
        let hour = today * SpendHistory.secondsPerDay
        let baseline = detector.baseline(subject, in: history, today: today, hour: hour)
        let days = baseline?.days ?? 0
        let warm = days >= config.minHistoryDays && days > 0
        var fields: [(String, JSONValue)] = [
            ("subject", .string(subject)),
            ("day", .string(UTCCalendar.day(today * SpendHistory.secondsPerDay))),
            ("factor", .string(AnomalyAlert.factorText(config.factorMilli))),
            ("factor_milli", .int(config.factorMilli)),
            ("baseline_days", .int(Int64(max(0, days)))),
            ("min_history_days", .int(Int64(config.minHistoryDays))),
            ("min_daily_spend_nanos", .int(config.minDailySpendNanos)),
        ]
        if warm, let baseline {
            fields.append(("baseline_nanos", .int(baseline.total / Int64(days))))
            fields.append(("alert_nanos", .int(max(config.minDailySpendNanos,
                                                   Saturating.multiplyDivide(baseline.total, config.factorMilli,
                                                                                Int64(days) * 1_000)))))
        } else {
            // Cold start: nothing alerts, there is no line to draw.
            fields.append(("baseline_nanos", .null))
            fields.append(("alert_nanos", .null))
        }
        fields.append(("today_nanos", .int(history.spend(of: subject, day: today))))
        let shown = max(0, days)
        let past: [JSONValue] = shown == 0 ? [] : (1...shown).reversed().map { back in
            let day = today - Int64(back)
            return .object(JSONObject([("day", .string(UTCCalendar.day(day * SpendHistory.secondsPerDay))),
                                       ("spend_nanos", .int(history.spend(of: subject, day: day)))]))
        }
        fields.append(("history", .array(past)))
        return .object(JSONObject(fields))
    }

    static func wallClockDay() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return SpendHistory.day(of: Int64(now.tv_sec))
    }

    static func error(_ message: String, status: UInt16) -> RouteResponse {
        .json(.object(JSONObject([("error", .object(JSONObject([
            ("type", .string(status == 403 ? "permission_error" : "invalid_request_error")), ("message", .string(message)),
        ])))])), status: status)
    }
}
