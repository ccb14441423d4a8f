/* A plugin built before ABI 1.4: its descriptor's struct_size ends at
 * on_post_call. The field after it (where 1.4 put on_route) holds a
 * pointer the host must never read as a hook: it only trusts fields that
 * struct_size covers. */
#include <stddef.h>
#include "tollgate_plugin.h"

static int marker;

static tollgate_type_status create(const tollgate_type_host_api *api, tollgate_type_host_ptr host,
                                   tollgate_type_str config, tollgate_type_instance_plugin_ptr *out,
                                   char *err, size_t cap, size_t *len) {
  *out = &marker;
  return TOLLGATE_STATUS_OK;
}
static void destroy(tollgate_type_instance_plugin_ptr instance) {}
static tollgate_type_status not_a_hook(tollgate_type_instance_plugin_ptr p, tollgate_type_route_ptr r) {
  return TOLLGATE_STATUS_INTERNAL;
}

static const tollgate_type_plugin_descriptor descriptor = {
    offsetof(tollgate_type_plugin_descriptor, on_route), TOLLGATE_ABI_MAJOR, 3,
    TOLLGATE_STR("pre-1-4"), TOLLGATE_STR("0.0.1"), TOLLGATE_PLUGIN_FLAG_UNLOAD_SAFE,
    create, destroy, 0, 0, 0, not_a_hook};

const tollgate_type_plugin_descriptor *tollgate_plugin_entry_v1(uint16_t major, uint16_t minor) {
  return &descriptor;
}
