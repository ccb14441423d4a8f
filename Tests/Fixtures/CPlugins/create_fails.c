#include <string.h>
#include "tollgate_plugin.h"

static tollgate_type_status create(const tollgate_type_host_api *api, tollgate_type_host_ptr host,
                                   tollgate_type_str config, tollgate_type_instance_plugin_ptr *out,
                                   char *err, size_t cap, size_t *len) {
  const char *reason = "config is missing the required key 'threshold'";
  size_t n = strlen(reason);
  if (n > cap) n = cap;
  memcpy(err, reason, n);
  *len = n;
  return TOLLGATE_STATUS_INVALID_ARGUMENT;
}
static void destroy(tollgate_type_instance_plugin_ptr instance) {}

static const tollgate_type_plugin_descriptor descriptor = {
    sizeof(tollgate_type_plugin_descriptor), TOLLGATE_ABI_MAJOR, TOLLGATE_ABI_MINOR,
    TOLLGATE_STR("create-fails"), TOLLGATE_STR("0.0.1"), TOLLGATE_PLUGIN_FLAG_UNLOAD_SAFE,
    create, destroy, 0, 0, 0};

const tollgate_type_plugin_descriptor *tollgate_plugin_entry_v1(uint16_t major, uint16_t minor) {
  return &descriptor;
}
