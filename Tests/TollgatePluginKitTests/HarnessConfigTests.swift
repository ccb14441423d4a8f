import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// The harness hands a plugin what the gateway would: `{}` for an entry
/// without `config:`, and the upstream headers only once there is an
/// upstream answer (WRONG_PHASE before, as the gateway answers).
final class HarnessConfigTests: XCTestCase {
    /// Fails every create, with the config text it got as the reason; in
    /// pre_call, tags the status of reading an upstream header.
    static let echo = #"""
    #include <stdio.h>
    #include <string.h>
    #include "tollgate_plugin.h"

    typedef struct { const tollgate_type_host_api *api; } instance;
    static instance the_instance;

    static tollgate_type_status create(const tollgate_type_host_api *api, tollgate_type_host_ptr host,
                                       tollgate_type_str config, tollgate_type_instance_plugin_ptr *out,
                                       char *err, size_t cap, size_t *err_len) {
      (void)host;
      if (config.len == 4 && memcmp(config.ptr, "\"ok\"", 4) == 0) {
        the_instance.api = api;
        *out = &the_instance;
        return TOLLGATE_STATUS_OK;
      }
      size_t n = config.len < cap ? config.len : cap;
      memcpy(err, config.ptr, n);
      *err_len = n;
      return TOLLGATE_STATUS_INVALID_ARGUMENT;
    }

    static void destroy(tollgate_type_instance_plugin_ptr p) { (void)p; }

    static tollgate_type_pre_call_verdict pre_call(tollgate_type_instance_plugin_ptr p, tollgate_type_call_ptr call,
                                                   tollgate_type_call_state_plugin_ptr *state) {
      instance *self = p;
      tollgate_type_str value, key = TOLLGATE_STR("content-type");
      char text[16];
      (void)state;
      int status = self->api->map_get(call, TOLLGATE_MAP_UPSTREAM_HEADERS, key, &value);
      int n = snprintf(text, sizeof text, "%d", status);
      tollgate_type_str name = TOLLGATE_STR("upstream_header_status"), got = {text, (size_t)n};
      self->api->map_set(call, TOLLGATE_MAP_ATTRIBUTES, name, got);
      return TOLLGATE_PRE_CALL_CONTINUE;
    }

    static const tollgate_type_plugin_descriptor descriptor = {
        sizeof(tollgate_type_plugin_descriptor), TOLLGATE_ABI_MAJOR, 0, TOLLGATE_STR("echo"), TOLLGATE_STR("1"),
        TOLLGATE_PLUGIN_FLAG_UNLOAD_SAFE, create, destroy, pre_call, NULL, NULL};

    const tollgate_type_plugin_descriptor *tollgate_plugin_entry_v1(uint16_t major, uint16_t minor) {
      (void)major; (void)minor;
      return &descriptor;
    }
    """#

    func testWithoutAConfigThePluginGetsAnEmptyObject() throws {
        let path = try TestLibraries.compileC(named: "config_echo", source: Self.echo)
        XCTAssertThrowsError(try PluginUnderTest(libraryPath: path)) { error in
            XCTAssertEqual(error as? PluginLoadError, .createFailed(path: path, status: .invalidArgument, message: "{}"))
        }
    }

    func testUpstreamHeadersInPreCallAreAWrongPhase() throws {
        let path = try TestLibraries.compileC(named: "config_echo", source: Self.echo)
        let plugin = try PluginUnderTest(libraryPath: path, config: .string("ok"))
        let call = FakeCall(model: "small")
        XCTAssertEqual(try plugin.preCall(call).verdict, .continue)
        XCTAssertEqual(call.attribute("upstream_header_status"), "\(TOLLGATE_STATUS_WRONG_PHASE)")
    }
}
