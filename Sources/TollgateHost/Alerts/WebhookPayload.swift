import Foundation
import TollgateJSON
import TollgateSupport
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// The JSON body POSTed for one alert:
///
///     {"kind": "spend_spike", "severity": "warning", "subject": "team/acme/payments",
///      "message": "...", "dedupe_key": "...", "source": "anomaly",
///      "raised_at": "2026-11-22T14:03:11Z", "details": {...}}
///
/// `details` is the plugin's details JSON as an object, or omitted when the
/// plugin gave none (a details text that is not JSON is sent as a string).
package enum WebhookPayload {
    static func body(for alert: Alert, raisedAt: Date) -> [UInt8] {
        var object = JSONObject([
            ("kind", .string(alert.kind)),
            ("severity", .string(alert.severity.description)),
            ("subject", .string(alert.subject)),
            ("message", .string(alert.message)),
            ("dedupe_key", .string(alert.dedupeKey)),
            ("source", .string(alert.source)),
            ("raised_at", .string(timestamp(raisedAt))),
        ])
        if !alert.detailsJSON.isEmpty {
            let details = (try? JSONValue.parse(alert.detailsJSON)) ?? .string(alert.detailsJSON)
            object.entries.append(JSONObject.Entry(key: "details", value: details))
        }
        return JSONValue.object(object).serialized()
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
