import Foundation
import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// Loads libtollgate_anomaly.so and drives it through time: each call's
/// receive time is the plugin's clock.
enum AnomalyFixture {
    /// 2026-11-01T00:00:00Z, "day 1" of the synthetic histories.
    static let dayOne: Int64 = 1_793_491_200
    static let dollar: Int64 = 1_000_000_000

    static var libraryPath: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while url.pathExtension == "xctest" || url.lastPathComponent == "MacOS" || url.lastPathComponent == "Contents" {
            url.deleteLastPathComponent()
        }
        return url.appendingPathComponent("libtollgate_anomaly.so").path
    }

    /// The plugin with `config` as JSON text; memory only unless the config
    /// names a database.
    static func load(_ config: String = "{}", memoryOnly: Bool = true) throws -> PluginUnderTest {
        var json = try JSONValue.parse(config)
        if memoryOnly, var object = json.objectValue, object["database"] == nil {
            object.entries.append(JSONObject.Entry(key: "database", value: .bool(false)))
            json = .object(object)
        }
        return try PluginUnderTest(libraryPath: libraryPath, config: json)
    }

    /// Unix seconds of `day` (1-based from dayOne) at `hour`:`minute` UTC.
    static func time(day: Int, hour: Int = 12, minute: Int = 0) -> Int64 {
        dayOne + Int64(day - 1) * 86_400 + Int64(hour) * 3_600 + Int64(minute) * 60
    }

    static func date(day: Int) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(time(day: day))))
    }

    private static let sequence = NSLock()
    nonisolated(unsafe) private static var next = 0

    /// Runs one finished call costing `nanos` through the plugin.
    static func spend(_ plugin: PluginUnderTest, _ nanos: Int64, at second: Int64,
                      key: String = "payments-prod", team: String = "payments") throws {
        let id = sequence.withLock { () -> Int in
            next += 1
            return next
        }
        let call = FakeCall(identity: FakeCall.Identity(keyID: key, org: "acme", team: team),
                            requestID: "req-\(id)", receivedAtMicros: second * 1_000_000)
        call.costNanos = nanos
        try plugin.preCall(call)
        try plugin.postCall(call, usage: (in: 10, out: 10, cached: 0))
    }

    /// Seven days of steady spend: `perDay` split over four calls a day.
    static func steadyWeek(_ plugin: PluginUnderTest, perDay: Int64, days: ClosedRange<Int> = 1...7,
                           key: String = "payments-prod", team: String = "payments") throws {
        for day in days {
            for hour in [9, 11, 14, 16] {
                try spend(plugin, perDay / 4, at: time(day: day, hour: hour), key: key, team: team)
            }
        }
    }
}
