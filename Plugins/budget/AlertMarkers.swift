import TollgatePluginKit

/// "Once per window" for alerts, surviving a reload and a restart: each
/// condition has a marker counter in the host store with a limit of 1 and
/// the window of what it watches; the first request to reserve it raises
/// the alert, everyone after is refused. A local set skips the store once
/// a marker is known to be taken. Shared by budget thresholds and grant
/// tiers.
final class AlertMarkers: @unchecked Sendable {
    let host: PluginHost
    private struct Declared { var id: CounterID; var window: CounterWindow }
    private struct Once: Hashable { var name: String; var windowStart: Int64 }
    private let declared = Locked<[String: Declared]>([:])
    private let fired = Locked(Set<Once>())

    init(host: PluginHost) { self.host = host }

    /// Declares the marker `name` (persisted, limit 1) ahead of use.
    func declare(_ name: String, window: CounterWindow) throws {
        let id = try host.declareCounter(name: name, limit: 1, window: window, persist: true)
        declared.withLock { $0[name] = Declared(id: id, window: window) }
    }

    /// True exactly once per marker and window, store-wide (every instance,
    /// generation and restart agree): the caller raises its alert then.
    /// Declares the marker on first use when it was not declared ahead, or
    /// again when what it watches changed window.
    func claim(_ name: String, window: CounterWindow, windowStart: Int64) -> Bool {
        let once = Once(name: name, windowStart: windowStart)
        guard !fired.withLock({ $0.contains(once) }) else { return false }
        var marker = declared.withLock { $0[name] }
        if marker == nil || marker?.window != window {
            guard (try? declare(name, window: window)) != nil else { return false }
            marker = declared.withLock { $0[name] }
        }
        guard let marker else { return false }
        guard fired.withLock({ $0.insert(once).inserted }) else { return false }
        guard case .reserved(let id) = host.reserve([(marker.id, 1)]) else { return false }
        host.settle(id, amounts: [1])
        return true
    }

    /// spent >= percent% of limit, exactly (128-bit products).
    static func reached(spent: Int64, percent: Int, of limit: Int64) -> Bool {
        guard limit > 0 else { return true }
        return Saturating.atLeast(spent, 100, limit, Int64(percent))
    }

    /// spent * 100 / limit, rounded down, saturating (0 for a zero limit
    /// with nothing spent, 100 with something).
    static func percent(spent: Int64, of limit: Int64) -> Int64 {
        guard limit > 0 else { return spent > 0 ? 100 : 0 }
        guard spent > 0 else { return 0 }
        // (q * limit + r) * 100 / limit = q * 100 + r * 100 / limit, and
        // r * 100 / limit < 100 always fits.
        let (whole, overflow) = (spent / limit).multipliedReportingOverflow(by: 100)
        guard !overflow else { return Int64.max }
        let part = limit.dividingFullWidth((spent % limit).multipliedFullWidth(by: 100)).quotient
        let (sum, over) = whole.addingReportingOverflow(part)
        return over ? Int64.max : sum
    }
}

/// Alerts raised at most once per key and UTC day by this instance (the
/// host deduplicates by the alert's key as well): keeps a refusal storm
/// from building one alert per refused request.
final class DailyDedupe: @unchecked Sendable {
    private struct State { var day: Int64 = Int64.min; var keys = Set<String>() }
    private let state = Locked(State())

    /// True the first time `key` is seen on the UTC day of `now`.
    func first(_ key: String, now: Int64) -> Bool {
        let day = UTCCalendar.floorDiv(now, 86_400)
        return state.withLock { s in
            if s.day != day {
                s.day = day
                s.keys.removeAll()
            }
            return s.keys.insert(key).inserted
        }
    }
}
