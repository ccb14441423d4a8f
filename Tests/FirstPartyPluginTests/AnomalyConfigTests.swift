import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// The anomaly config is validated strictly, with messages that say what to
/// write instead.
final class AnomalyConfigTests: XCTestCase {
    func createError(_ config: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try AnomalyFixture.load(config, memoryOnly: false)
            XCTFail("expected the config to be refused: \(config)", file: file, line: line)
        } catch let PluginLoadError.createFailed(_, _, message) {
            return message
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
        return ""
    }

    func testMistakesAreRefusedWithAReadableReason() {
        let cases: [(String, String)] = [
            (#"{"factr": 3, "database": false}"#, "unknown key 'factr'; did you mean 'factor'?"),
            (#"{"factor": 1, "database": false}"#, "factor must be a number above 1"),
            (#"{"factor": "3.0001", "database": false}"#, "up to 3 decimals"),
            (#"{"min_daily_spend": "-5", "database": false}"#, "min_daily_spend must be a USD decimal"),
            (#"{"min_history_days": 0, "database": false}"#, "min_history_days must be an integer from 1 to 7"),
            (#"{"projection_hours": 25, "database": false}"#, "projection_hours must be an integer from 0 (off) to 24"),
            (#"{"dimensions": ["team", "project"], "database": false}"#, #"dimensions[1] must be one of team, key, feature, got "project""#),
            (#"{"dimensions": [], "database": false}"#, "dimensions must be a non-empty list"),
            (#"{"dimensions": ["team", "team"], "database": false}"#, "listed twice"),
            (#"{"history": [{"subject": "acme", "date": "2026-11-01", "spend": "1"}], "database": false}"#,
             "history[0].subject must be a subject such as team/ORG/TEAM"),
            (#"{"history": [{"subject": "team/acme/payments", "date": "2026-02-30", "spend": "1"}], "database": false}"#,
             #"date must be a UTC day such as "2026-11-15""#),
            (#"{"history": [{"subject": "team/acme/payments", "date": "2026-11-01", "days_ago": 2, "spend": "1"}], "database": false}"#,
             "history[0]: give date or days_ago, not both"),
            (#"{"history": [{"subject": "team/acme/payments", "spend": "1"}], "database": false}"#,
             "history[0]: needs date"),
            (#"{"history": [{"subject": "team/acme/payments", "days_ago": 0, "spend": "1"}], "database": false}"#,
             "history[0].days_ago must be an integer from 1 (yesterday) to 7"),
            (#"{"history": [{"subject": "team/acme/payments", "days_ago": 8, "spend": "1"}], "database": false}"#,
             "history[0].days_ago must be an integer from 1 (yesterday) to 7"),
            (#"{"history": [{"subject": "team/acme/payments", "days_ago": "2", "spend": "1"}], "database": false}"#,
             "history[0].days_ago must be an integer from 1 (yesterday) to 7"),
            (#"{"history": [{"subject": "team/acme/payments", "day_ago": 2, "spend": "1"}], "database": false}"#,
             "unknown key 'day_ago'; did you mean 'days_ago'?"),
            (#"{"database": "anomaly.sqlite"}"#, "the host gives no storage directory"),
            ("[1]", "anomaly config: config must be a mapping, got [1]"),
        ]
        for (config, expected) in cases {
            let message = createError(config)
            XCTAssertTrue(message.contains(expected), "\(config): \(message)")
        }
    }

    func testDefaultsLoad() throws {
        let plugin = try AnomalyFixture.load()
        XCTAssertEqual(plugin.name, "anomaly")
        XCTAssertFalse(plugin.failClosed, "anomaly fails open: it never stands between a call and its answer")
        XCTAssertFalse(plugin.hasPreCall)
        XCTAssertTrue(plugin.hasPostCall)
    }
}
