import TollgateJSON
import TollgateSupport
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// `GET /admin/counters`: every counter in the counter store (budgets,
/// rate limits, ...), in raw units.
extension AdminRoutes {
    static func counters(_ request: RoutedRequest, _ generation: Generation) {
        let store = request.gateway.services.counters
        let counters: [JSONValue] = store.counters(withPrefix: "").map { counter in
            .object(JSONObject([
                ("name", .string(counter.spec.name)), ("window", .string(counter.spec.window.name)),
                ("persist", .bool(counter.spec.persist)), ("limit", .int(counter.state.limit)),
                ("spent", .int(counter.state.spent)), ("reserved", .int(counter.state.reserved)),
                ("window_start", .int(counter.state.windowStart)), ("window_end", .int(counter.state.windowEnd)),
            ]))
        }
        let body = JSONObject([("counters", .array(counters)), ("open_reservations", .int(store.openReservations))])
        request.writer.sendJSON(status: 200, JSONValue.object(body).serialized())
    }
}
