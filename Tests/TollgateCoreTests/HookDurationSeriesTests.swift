import Foundation
import Logging
import TollgateJSON
import XCTest
@testable import TollgateSupport
@testable import TollgateDialects
@testable import TollgateConfig
@testable import TollgateHost
@testable import TollgateUpstream
@testable import TollgateReports
@testable import TollgateMockProvider
@testable import TollgateProxy
import TollgateUnits

/// tollgate_plugin_hook_duration_seconds has a series per hook a plugin
/// implements, and none for a hook it left NULL (the host never runs it).
final class HookDurationSeriesTests: XCTestCase {
    func testSeriesExistOnlyForHooksThePluginImplements() throws {
        let metrics = GatewayMetrics()
        let services = HostServices(metrics: metrics, alerts: AlertRouter(sinks: [], metrics: metrics), logger: Logger(label: "test"),
                                    libraries: PluginLibraryCache(cacheDirectory: HookChainTests.workDir + "/durations-cache"))
        let catalog = ModelCatalog(entries: [])
        var plugins: [PluginInstance] = []
        for (fixture, name) in [("null_hooks", "hookless"), ("recorder", "busy")] {
            let library = try services.libraries.acquire(path: try HookChainTests.compile(fixture), pluginName: name)
            plugins.append(try PluginInstance(instanceName: name, library: library, failClosed: nil,
                                              config: .object(JSONObject()), services: services, catalog: catalog))
        }
        defer {
            for p in plugins {
                p.destroy()
                services.libraries.release(p.library)
            }
        }
        let series = String(decoding: metrics.exposition(), as: UTF8.self).split(separator: "\n").filter {
            $0.hasPrefix("tollgate_plugin_hook_duration_seconds_count{")
        }
        XCTAssertFalse(series.contains { $0.contains(#"plugin="hookless""#) }, "\(series)")
        for hook in ["pre_call", "on_chunk", "post_call"] {
            XCTAssertTrue(series.contains { $0.contains(#"plugin="busy""#) && $0.contains(#"hook="\#(hook)""#) }, "\(series)")
        }
    }
}
