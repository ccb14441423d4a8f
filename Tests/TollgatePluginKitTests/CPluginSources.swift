/// Tiny C plugins compiled by the tests, one per behaviour (after Envoy's
/// test_data/c/*.c).
enum CPluginSources {
    /// Routes "large" to "small", tags lang=c in pre_call; in post_call it
    /// tries what the ABI forbids there and logs the statuses it got.
    static let router = #"""
    #include <string.h>
    #include <stdio.h>
    #include "tollgate_plugin.h"

    typedef struct { const tollgate_type_host_api *api; tollgate_type_host_ptr host; } instance;
    static instance the_instance;

    static tollgate_type_status create(const tollgate_type_host_api *api, tollgate_type_host_ptr host,
                                       tollgate_type_str config, tollgate_type_instance_plugin_ptr *out,
                                       char *err, size_t cap, size_t *err_len) {
      if (config.len >= 6 && memcmp(config.ptr, "\"fail\"", 6) == 0) {
        const char msg[] = "c-router: config says fail";
        size_t n = sizeof(msg) - 1 < cap ? sizeof(msg) - 1 : cap;
        memcpy(err, msg, n);
        *err_len = n;
        return TOLLGATE_STATUS_INVALID_ARGUMENT;
      }
      the_instance.api = api;
      the_instance.host = host;
      *out = &the_instance;
      return TOLLGATE_STATUS_OK;
    }

    static void destroy(tollgate_type_instance_plugin_ptr p) { (void)p; }

    static tollgate_type_pre_call_verdict pre_call(tollgate_type_instance_plugin_ptr p, tollgate_type_call_ptr call,
                                                   tollgate_type_call_state_plugin_ptr *state) {
      instance *self = p;
      tollgate_type_str model;
      (void)state;
      if (self->api->get_string(call, TOLLGATE_PROP_MODEL, &model) != TOLLGATE_STATUS_OK) return TOLLGATE_PRE_CALL_ERROR;
      if (model.len == 5 && memcmp(model.ptr, "large", 5) == 0) {
        tollgate_type_str small = TOLLGATE_STR("small");
        self->api->set_model(call, small);
      }
      tollgate_type_str key = TOLLGATE_STR("lang"), value = TOLLGATE_STR("c");
      self->api->map_set(call, TOLLGATE_MAP_ATTRIBUTES, key, value);
      return TOLLGATE_PRE_CALL_CONTINUE;
    }

    static tollgate_type_status post_call(tollgate_type_instance_plugin_ptr p, tollgate_type_call_ptr call,
                                          tollgate_type_call_state_plugin_ptr state) {
      instance *self = p;
      char line[160];
      tollgate_type_str model = TOLLGATE_STR("large");
      tollgate_type_str key = TOLLGATE_STR("x"), value = TOLLGATE_STR("y");
      int64_t tokens_out = -1, chunk_index = -1;
      (void)state;
      int set_model = self->api->set_model(call, model);
      int set_header = self->api->map_set(call, TOLLGATE_MAP_REQUEST_HEADERS, key, value);
      int set_attr = self->api->map_set(call, TOLLGATE_MAP_ATTRIBUTES, key, value);
      self->api->get_int(call, TOLLGATE_PROP_TOKENS_OUT, &tokens_out);
      int chunk = self->api->get_int(call, TOLLGATE_PROP_CHUNK_INDEX, &chunk_index);
      int null_out = self->api->get_int(call, TOLLGATE_PROP_TOKENS_OUT, NULL);
      int n = snprintf(line, sizeof line, "set_model=%d map_set_header=%d map_set_attr=%d tokens_out=%lld chunk_index=%d null_out=%d",
                       set_model, set_header, set_attr, (long long)tokens_out, chunk, null_out);
      tollgate_type_str message = { line, (size_t)n };
      self->api->log(self->host, call, TOLLGATE_LOG_INFO, message);
      return TOLLGATE_STATUS_OK;
    }

    static const tollgate_type_plugin_descriptor descriptor = {
      sizeof(tollgate_type_plugin_descriptor), TOLLGATE_ABI_MAJOR, 0,
      TOLLGATE_STR("c-router"), TOLLGATE_STR("0.1.0"), TOLLGATE_PLUGIN_FLAG_UNLOAD_SAFE,
      create, destroy, pre_call, NULL, post_call,
    };

    const tollgate_type_plugin_descriptor *tollgate_plugin_entry_v1(uint16_t major, uint16_t minor) {
      (void)minor;
      return major == TOLLGATE_ABI_MAJOR ? &descriptor : NULL;
    }
    """#

    /// Exports no entry symbol.
    static let noEntry = #"""
    int not_a_plugin(void) { return 1; }
    """#

    /// Claims ABI major 2 from a v1 entry.
    static let wrongMajor = #"""
    #include "tollgate_plugin.h"
    static tollgate_type_status create(const tollgate_type_host_api *a, tollgate_type_host_ptr h, tollgate_type_str c,
                                       tollgate_type_instance_plugin_ptr *o, char *e, size_t n, size_t *l) {
      (void)a; (void)h; (void)c; (void)o; (void)e; (void)n; (void)l;
      return TOLLGATE_STATUS_OK;
    }
    static void destroy(tollgate_type_instance_plugin_ptr p) { (void)p; }
    static const tollgate_type_plugin_descriptor descriptor = {
      sizeof(tollgate_type_plugin_descriptor), 2, 0, TOLLGATE_STR("wrong-major"), TOLLGATE_STR("1"), 0,
      create, destroy, NULL, NULL, NULL,
    };
    const tollgate_type_plugin_descriptor *tollgate_plugin_entry_v1(uint16_t major, uint16_t minor) {
      (void)major; (void)minor;
      return &descriptor;
    }
    """#

    /// Refuses every host.
    static let refuses = #"""
    #include "tollgate_plugin.h"
    const tollgate_type_plugin_descriptor *tollgate_plugin_entry_v1(uint16_t major, uint16_t minor) {
      (void)major; (void)minor;
      return NULL;
    }
    """#
}
