/* A plugin that does nothing in every hook: the cost of the plugin ABI
 * itself (one pre_call, one post_call per request) in the benchmarks. */
#include "tollgate_plugin.h"

static int instance;

static tollgate_type_status create(const tollgate_type_host_api *api, tollgate_type_host_ptr host,
                                   tollgate_type_str config, tollgate_type_instance_plugin_ptr *out,
                                   char *err, size_t cap, size_t *len) {
  (void)api; (void)host; (void)config; (void)err; (void)cap; (void)len;
  *out = &instance;
  return TOLLGATE_STATUS_OK;
}
static void destroy(tollgate_type_instance_plugin_ptr p) { (void)p; }
static tollgate_type_pre_call_verdict pre_call(tollgate_type_instance_plugin_ptr p, tollgate_type_call_ptr c,
                                               tollgate_type_call_state_plugin_ptr *s) {
  (void)p; (void)c; (void)s;
  return TOLLGATE_PRE_CALL_CONTINUE;
}
static tollgate_type_status post_call(tollgate_type_instance_plugin_ptr p, tollgate_type_call_ptr c,
                                      tollgate_type_call_state_plugin_ptr s) {
  (void)p; (void)c; (void)s;
  return TOLLGATE_STATUS_OK;
}

static const tollgate_type_plugin_descriptor descriptor = {
    sizeof(tollgate_type_plugin_descriptor), TOLLGATE_ABI_MAJOR, 0, TOLLGATE_STR("noop"), TOLLGATE_STR("1.0.0"),
    TOLLGATE_PLUGIN_FLAG_UNLOAD_SAFE, create, destroy, pre_call, 0, post_call};

const tollgate_type_plugin_descriptor *tollgate_plugin_entry_v1(uint16_t major, uint16_t minor) {
  (void)major; (void)minor;
  return &descriptor;
}
