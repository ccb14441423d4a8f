@testable import TollgatePluginKit
import XCTest

/// The descriptor the kit builds for a type: hook pointers only for the
/// protocols it conforms to. Built in-process with makeDescriptor (the
/// entry's registry is per image, and this test image exports nothing).
final class DescriptorTests: XCTestCase {
    final class PreOnly: TollgatePlugin, PreCallHook {
        static let info = PluginInfo(name: "pre-only", version: "0.0.1")
        init(host: PluginHost, config: JSONValue) throws {}
        func preCall(_ call: Call) -> PreCallVerdict { .continue }
    }

    final class PostOnly: TollgatePlugin, PostCallHook {
        static let info = PluginInfo(name: "post-only", version: "2", failClosed: true, requiredMinor: 0)
        init(host: PluginHost, config: JSONValue) throws {}
        func postCall(_ call: Call) {}
    }

    final class NoHooks: TollgatePlugin {
        static let info = PluginInfo(name: "none", version: "")
        init(host: PluginHost, config: JSONValue) throws {}
    }

    final class RouteOnly: TollgatePlugin, RouteHook {
        static let info = PluginInfo(name: "route-only", version: "1")
        init(host: PluginHost, config: JSONValue) throws {}
        func onRoute(_ route: Route) throws -> RouteResponse { .text("ok") }
    }

    func testOnRouteFollowsTheRouteHookConformance() {
        let routed = PluginExport.makeDescriptor(for: RouteOnly.self).pointee
        XCTAssertNotNil(routed.on_route)
        XCTAssertNil(routed.on_pre_call)
        XCTAssertNil(routed.on_post_call)
        XCTAssertEqual(routed.abi_minor, 0, "a route is optional: the plugin still runs on older hosts")
        XCTAssertNil(PluginExport.makeDescriptor(for: PreOnly.self).pointee.on_route)
    }

    func testHooksFollowConformances() {
        let pre = PluginExport.makeDescriptor(for: PreOnly.self).pointee
        XCTAssertNotNil(pre.on_pre_call)
        XCTAssertNil(pre.on_chunk, "no ChunkHook, no on_chunk")
        XCTAssertNotNil(pre.on_post_call, "post_call releases state preCall may set")
        XCTAssertNotNil(pre.on_create)
        XCTAssertNotNil(pre.on_destroy)
        XCTAssertEqual(pre.flags, 0)
        XCTAssertEqual(pre.struct_size, UInt32(MemoryLayout<tollgate_type_plugin_descriptor>.size))
        XCTAssertEqual(pre.abi_major, UInt16(TOLLGATE_ABI_MAJOR))
        XCTAssertEqual(String(tollgate: pre.name), "pre-only")

        let post = PluginExport.makeDescriptor(for: PostOnly.self).pointee
        XCTAssertNil(post.on_pre_call)
        XCTAssertNil(post.on_chunk)
        XCTAssertNotNil(post.on_post_call)
        XCTAssertEqual(post.flags, TOLLGATE_PLUGIN_FLAG_FAIL_CLOSED)

        let none = PluginExport.makeDescriptor(for: NoHooks.self).pointee
        XCTAssertNil(none.on_pre_call)
        XCTAssertNil(none.on_chunk)
        XCTAssertNil(none.on_post_call)
        XCTAssertEqual(none.version.len, 0)
    }

    func testCreateErrorIsCutAtACharacterBoundaryOnOneLine() {
        var buffer = [CChar](repeating: 0, count: 8)
        // "héllo€" = h, é (2 bytes), l, l, o, € (3 bytes): 9 bytes; 8 would
        // cut the euro sign, so 6 are written.
        let written = buffer.withUnsafeMutableBufferPointer { writeErrorMessage("héllo€", to: $0.baseAddress, capacity: 8) }
        XCTAssertEqual(written, 6)
        XCTAssertEqual(String(decoding: buffer.prefix(written).map { UInt8(bitPattern: $0) }, as: UTF8.self), "héllo")

        var wide = [CChar](repeating: 0, count: 64)
        let n = wide.withUnsafeMutableBufferPointer { writeErrorMessage("line one\nline two", to: $0.baseAddress, capacity: 64) }
        XCTAssertEqual(String(decoding: wide.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self), "line one line two")
        XCTAssertEqual(writeErrorMessage("anything", to: nil, capacity: 0), 0)
    }
}
