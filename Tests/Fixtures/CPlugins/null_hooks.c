#include "tollgate_plugin.h"

static int marker;

static tollgate_type_status create(const tollgate_type_host_api *api, tollgate_type_host_ptr host,
                                   tollgate_type_str config, tollgate_type_instance_plugin_ptr *out,
                                   char *err, size_t cap, size_t *len) {
  *out = &marker;
  return TOLLGATE_STATUS_OK;
}
static void destroy(tollgate_type_instance_plugin_ptr instance) {}

static const tollgate_type_plugin_descriptor descriptor = {
    sizeof(tollgate_type_plugin_descriptor), TOLLGATE_ABI_MAJOR, TOLLGATE_ABI_MINOR,
    TOLLGATE_STR("null-hooks"), TOLLGATE_STR("0.0.1"), TOLLGATE_PLUGIN_FLAG_UNLOAD_SAFE,
    create, destroy, 0, 0, 0};

const tollgate_type_plugin_descriptor *tollgate_plugin_entry_v1(uint16_t major, uint16_t minor) {
  return &descriptor;
}
