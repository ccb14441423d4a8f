import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// C plugins compiled with the system compiler against the header, loaded
/// through PluginUnderTest: the harness serves any language, and its
/// loader reports each way a library can be wrong.
final class CPluginTests: XCTestCase {
    func testACPluginRunsThroughTheHarnessAndTheFakeHostEnforcesPhases() throws {
        let path = try TestLibraries.compileC(named: "c_router", source: CPluginSources.router)
        let plugin = try PluginUnderTest(libraryPath: path)
        XCTAssertEqual(plugin.name, "c-router")
        XCTAssertTrue(plugin.unloadSafe)
        XCTAssertFalse(plugin.hasChunk)

        let call = FakeCall(model: "large")
        XCTAssertEqual(try plugin.preCall(call).verdict, .continue)
        XCTAssertEqual(call.model, "small")
        XCTAssertEqual(call.attribute("lang"), "c")
        // No on_chunk: the harness passes the event through untouched.
        XCTAssertEqual(try plugin.onChunk(call, text: "hi").verdict, .continue)
        try plugin.postCall(call, usage: (in: 3, out: 42, cached: 0))

        XCTAssertEqual(call.model, "small", "set_model from post_call must not apply")
        XCTAssertNil(call.attribute("x"))
        let line = try XCTUnwrap(plugin.host.logs.last)
        XCTAssertEqual(line.message, "set_model=\(TOLLGATE_STATUS_WRONG_PHASE) map_set_header=\(TOLLGATE_STATUS_READ_ONLY) "
            + "map_set_attr=\(TOLLGATE_STATUS_WRONG_PHASE) tokens_out=42 chunk_index=\(TOLLGATE_STATUS_WRONG_PHASE) "
            + "null_out=\(TOLLGATE_STATUS_INVALID_ARGUMENT)")
        XCTAssertEqual(line.requestID, "req-1")
    }

    func testCreateFailureCarriesTheCPluginsMessage() throws {
        let path = try TestLibraries.compileC(named: "c_router", source: CPluginSources.router)
        XCTAssertThrowsError(try PluginUnderTest(libraryPath: path, config: .string("fail"))) { error in
            XCTAssertEqual(error as? PluginLoadError,
                           .createFailed(path: path, status: .invalidArgument, message: "c-router: config says fail"))
        }
    }

    func testLoaderErrors() throws {
        XCTAssertThrowsError(try PluginUnderTest(libraryPath: "/nonexistent/libnothing.so")) { error in
            XCTAssertEqual(error as? PluginLoadError, .fileNotFound(path: "/nonexistent/libnothing.so"))
        }
        let noEntry = try TestLibraries.compileC(named: "c_no_entry", source: CPluginSources.noEntry)
        XCTAssertThrowsError(try PluginUnderTest(libraryPath: noEntry)) { error in
            XCTAssertEqual(error as? PluginLoadError, .missingEntrySymbol(path: noEntry))
        }
        let refuses = try TestLibraries.compileC(named: "c_refuses", source: CPluginSources.refuses)
        XCTAssertThrowsError(try PluginUnderTest(libraryPath: refuses)) { error in
            XCTAssertEqual(error as? PluginLoadError, .refused(path: refuses, hostMajor: 1, hostMinor: UInt16(TOLLGATE_ABI_MINOR)))
        }
        let wrongMajor = try TestLibraries.compileC(named: "c_wrong_major", source: CPluginSources.wrongMajor)
        XCTAssertThrowsError(try PluginUnderTest(libraryPath: wrongMajor)) { error in
            guard case PluginLoadError.badDescriptor(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(reason, "ABI major 2, host is 1")
        }
    }
}
