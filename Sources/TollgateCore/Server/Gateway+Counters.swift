import Foundation
import Logging
import TollgateJSON

/// The counter store of a gateway: built at start (spent persisted in
/// `storage.dir/counters.db`), read by `/admin/budgets` and
/// `/admin/counters`.
extension Gateway {
    static let countersFileName = "counters.db"

    static func counterStore(config: TollgateConfig, logger: Logger) throws -> CounterStore {
        let dir = config.storage.dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let journal = try SpentJournal(path: dir + "/" + countersFileName, onError: { error in
            logger.error("counter journal write failed: \(error)")
        })
        return CounterStore(persistence: journal)
    }

    /// `GET /admin/budgets`: every counter the budget plugin declared
    /// (named `budget:<scope>:<period>`), with its numbers now.
    func serveBudgets(writer: ResponseWriter) {
        let budgets: [JSONValue] = services.counters.counters(withPrefix: "budget:").map { counter in
            let parts = counter.spec.name.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let scope = parts.count >= 3 ? parts[1] : counter.spec.name
            let period = parts.count >= 3 ? parts[2] : counter.spec.window.name
            let level = scope.split(separator: "/").first.map(String.init) ?? scope
            return .object(JSONObject([
                ("scope", .string(scope)), ("level", .string(level)), ("period", .string(period)),
                ("counter", .string(counter.spec.name)),
            ] + Self.numbers(counter.state, window: counter.spec.window)))
        }
        writer.sendJSON(status: 200, JSONValue.object(JSONObject([("budgets", .array(budgets))])).serialized())
    }

    /// `GET /admin/counters`: every counter (budgets, rate limits, ...),
    /// in raw units.
    func serveCounters(writer: ResponseWriter) {
        let counters: [JSONValue] = services.counters.counters(withPrefix: "").map { counter in
            .object(JSONObject([
                ("name", .string(counter.spec.name)), ("window", .string(counter.spec.window.name)),
                ("persist", .bool(counter.spec.persist)), ("limit", .int(counter.state.limit)),
                ("spent", .int(counter.state.spent)), ("reserved", .int(counter.state.reserved)),
                ("window_start", .int(counter.state.windowStart)), ("window_end", .int(counter.state.windowEnd)),
            ]))
        }
        let body = JSONObject([("counters", .array(counters)),
                               ("open_reservations", .int(services.counters.openReservations))])
        writer.sendJSON(status: 200, JSONValue.object(body).serialized())
    }

    /// Nano-dollar figures both exact (integers) and for people ("$12.34").
    private static func numbers(_ state: CounterState, window: CounterWindow) -> [(String, JSONValue)] {
        let unlimited = state.limit == Int64.max
        let remaining = state.remaining
        return [
            ("limit_nanos", unlimited ? .null : .int(state.limit)),
            ("spent_nanos", .int(state.spent)),
            ("reserved_nanos", .int(state.reserved)),
            ("remaining_nanos", unlimited ? .null : .int(remaining)),
            ("limit", unlimited ? .null : .string(Money.format(nanos: state.limit))),
            ("spent", .string(Money.format(nanos: state.spent))),
            ("reserved", .string(Money.format(nanos: state.reserved))),
            ("remaining", unlimited ? .null : .string(Money.format(nanos: remaining))),
            ("window_start", window == .none ? .null : .string(UTCCalendar.iso8601(state.windowStart))),
            ("resets_at", window == .none ? .null : .string(UTCCalendar.iso8601(state.windowEnd))),
        ]
    }
}
