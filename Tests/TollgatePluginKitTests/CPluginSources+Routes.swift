extension CPluginSources {
    /// Serves GET /admin/c-status (ABI 1.4). In on_create it also tries to
    /// declare a core route; in pre_call it tries to declare a route and
    /// reads a prompt segment without its role. on_route answers, as plain
    /// text, the statuses it got and the query it was asked with.
    static let routes = #"""
    #include <stdio.h>
    #include <string.h>
    #include "tollgate_plugin.h"

    typedef struct {
      const tollgate_type_host_api *api;
      tollgate_type_host_ptr host;
      int declared_core, declared_in_pre, null_role;
    } instance;
    static instance the_instance;

    static tollgate_type_status create(const tollgate_type_host_api *api, tollgate_type_host_ptr host,
                                       tollgate_type_str config, tollgate_type_instance_plugin_ptr *out,
                                       char *err, size_t cap, size_t *err_len) {
      (void)config; (void)err; (void)cap; (void)err_len;
      tollgate_type_str get = TOLLGATE_STR("GET"), path = TOLLGATE_STR("/admin/c-status"), core = TOLLGATE_STR("/admin/reload");
      the_instance.api = api;
      the_instance.host = host;
      the_instance.declared_core = api->declare_route(host, get, core, TOLLGATE_ROUTE_ROLE_ADMIN);
      the_instance.declared_in_pre = -1;
      the_instance.null_role = -1;
      *out = &the_instance;
      return api->declare_route(host, get, path, TOLLGATE_ROUTE_ROLE_ADMIN);
    }

    static void destroy(tollgate_type_instance_plugin_ptr p) { (void)p; }

    static tollgate_type_pre_call_verdict pre_call(tollgate_type_instance_plugin_ptr p, tollgate_type_call_ptr call,
                                                   tollgate_type_call_state_plugin_ptr *state) {
      instance *self = p;
      tollgate_type_str get = TOLLGATE_STR("GET"), path = TOLLGATE_STR("/admin/c-late");
      tollgate_type_str text;
      (void)state;
      self->declared_in_pre = self->api->declare_route(self->host, get, path, TOLLGATE_ROUTE_ROLE_ADMIN);
      self->null_role = self->api->get_prompt_segment(call, 0, &text, NULL);
      return TOLLGATE_PRE_CALL_CONTINUE;
    }

    static tollgate_type_status on_route(tollgate_type_instance_plugin_ptr p, tollgate_type_route_ptr route) {
      instance *self = p;
      tollgate_type_str query = {0, 0};
      char line[200];
      self->api->route_get_string(route, TOLLGATE_ROUTE_PROP_QUERY, &query);
      int n = snprintf(line, sizeof line, "declared_core=%d declared_in_pre=%d null_role=%d query=%.*s",
                       self->declared_core, self->declared_in_pre, self->null_role, (int)query.len, query.ptr ? query.ptr : "");
      tollgate_type_str body = { line, (size_t)n }, type = TOLLGATE_STR("text/plain");
      return self->api->route_respond(route, 200, type, body);
    }

    static const tollgate_type_plugin_descriptor descriptor = {
      sizeof(tollgate_type_plugin_descriptor), TOLLGATE_ABI_MAJOR, 4,
      TOLLGATE_STR("c-routes"), TOLLGATE_STR("0.1.0"), TOLLGATE_PLUGIN_FLAG_UNLOAD_SAFE,
      create, destroy, pre_call, NULL, NULL, on_route,
    };

    const tollgate_type_plugin_descriptor *tollgate_plugin_entry_v1(uint16_t major, uint16_t minor) {
      return major == TOLLGATE_ABI_MAJOR && minor >= 4 ? &descriptor : NULL;
    }
    """#
}
