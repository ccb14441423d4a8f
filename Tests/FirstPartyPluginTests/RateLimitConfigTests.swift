import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// Strict validation: every mistake refuses the configuration with a
/// message naming the entry.
final class RateLimitConfigTests: RateLimitTestCase {
    func createError(_ config: String) -> String? {
        do {
            _ = try load(config)
            return nil
        } catch PluginLoadError.createFailed(_, _, let message) {
            return message
        } catch {
            return "\(error)"
        }
    }

    func testAcceptsTheDocumentedShapes() throws {
        XCTAssertNoThrow(try load(#"{}"#))
        XCTAssertNoThrow(try load(#"{"default_output_tokens": 1024, "limits": [{"scope": "org/*", "rpd": 10}, {"scope": "team/*", "model": "*", "tpm": 10}]}"#))
    }

    func testRefusals() {
        let scopes = "key/KEY_ID, team/ORG/TEAM, org/ORG, or key/*, team/*, org/* for each one"
        let cases: [(String, String)] = [
            (#"{"limit": []}"#, "ratelimit config: unknown key 'limit'; did you mean 'limits'? (allowed: default_output_tokens, limits)"),
            (#"{"limits": {}}"#, "ratelimit config: limits must be a list, got {}"),
            (#"{"limits": [{"scope": "team/acme", "rpm": 1}]}"#,
             #"ratelimit config: limits[0].scope must be \#(scopes), got "team/acme""#),
            (#"{"limits": [{"scope": "team/acme/*", "rpm": 1}]}"#,
             #"ratelimit config: limits[0].scope must be \#(scopes), got "team/acme/*""#),
            (#"{"limits": [{"rpm": 1}]}"#, "ratelimit config: limits[0].scope is required (\(scopes))"),
            (#"{"limits": [{"scope": "key/a", "rpm": 0}]}"#,
             "ratelimit config: limits[0].rpm must be a positive integer (requests per minute (RPM)), got 0"),
            (#"{"limits": [{"scope": "key/a", "tpm": "1000"}]}"#,
             #"ratelimit config: limits[0].tpm must be a positive integer (tokens per minute (TPM)), got "1000""#),
            (#"{"limits": [{"scope": "key/a"}]}"#, "ratelimit config: limits[0]: set at least one of rpm, tpm, rpd for key/a"),
            // A typo that leaves no limit is named as the typo, not as the missing limit.
            (#"{"limits": [{"scope": "key/a", "rmp": 1}]}"#, "ratelimit config: limits[0]: unknown key 'rmp'; did you mean 'rpm'?"),
            (#"{"limits": [{"scope": "key/a", "rpm": 1, "burst": 2}]}"#,
             "ratelimit config: limits[0]: unknown key 'burst' (allowed: scope, model, rpm, tpm, rpd)"),
            (#"{"limits": [{"scope": "key/a", "model": "a:b", "rpm": 1}]}"#,
             #"ratelimit config: limits[0].model must be a public model name, or "*" for each model, got "a:b""#),
            (#"{"limits": [{"scope": "key/a", "rpm": 1}, {"scope": "key/a", "tpm": 1}]}"#,
             "ratelimit config: limits[1]: limits[0] already covers key/a; put all its limits (rpm, tpm, rpd) in one entry"),
            (#"{"limits": [{"scope": "key/a", "model": "large", "rpm": 1}, {"scope": "key/a", "model": "large", "tpm": 1}]}"#,
             "ratelimit config: limits[1]: limits[0] already covers key/a on model large; put all its limits (rpm, tpm, rpd) in one entry"),
            (#"{"default_output_tokens": 0}"#, "ratelimit config: default_output_tokens must be a positive integer, got 0"),
        ]
        for (config, expected) in cases {
            XCTAssertEqual(createError(config), expected, config)
        }
    }
}
