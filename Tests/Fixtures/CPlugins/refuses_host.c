#include "tollgate_plugin.h"

/* Refuses every host, as a plugin needing a newer minor would. */
const tollgate_type_plugin_descriptor *tollgate_plugin_entry_v1(uint16_t major, uint16_t minor) {
  return 0;
}
