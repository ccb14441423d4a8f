import Foundation
import Logging
import TollgateJSON

/// The counter store of a gateway: built at start (spent persisted in
/// `storage.dir/counters.db`), read by `/admin/counters`. What a counter
/// means is its plugin's business: a plugin that wants a view of its
/// counters serves it as a route (the budget plugin: `/admin/budgets`).
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
}
