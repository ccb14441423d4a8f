/* Stamps the version it was COMPILED with into every response
 * (x-test-stamp), and logs create/destroy to the file in its config
 * ("log"). The reload tests rebuild it at the same path with another
 * -DSTAMP to prove a reload really loads the new code. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tollgate_plugin.h"

#ifndef STAMP
#define STAMP "v0"
#endif

typedef struct {
  const tollgate_type_host_api *api;
  char log[512];
} stamp;

static void append(stamp *s, const char *what) {
  if (!s->log[0]) return;
  int fd = open(s->log, O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) return;
  char line[128];
  size_t n = 0;
  const char *parts[] = {what, " ", STAMP, "\n"};
  for (int i = 0; i < 4; i++) {
    size_t l = strlen(parts[i]);
    memcpy(line + n, parts[i], l);
    n += l;
  }
  ssize_t ignored = write(fd, line, n);
  (void)ignored;
  close(fd);
}

static tollgate_type_status create(const tollgate_type_host_api *api, tollgate_type_host_ptr host,
                                   tollgate_type_str config, tollgate_type_instance_plugin_ptr *out,
                                   char *err, size_t cap, size_t *len) {
  (void)host; (void)err; (void)cap; (void)len;
  stamp *s = calloc(1, sizeof(stamp));
  s->api = api;
  const char *key = "\"log\":\"";
  for (size_t i = 0; i + strlen(key) <= config.len; i++) {
    if (memcmp(config.ptr + i, key, strlen(key)) == 0) {
      size_t j = i + strlen(key), k = 0;
      while (j < config.len && config.ptr[j] != '"' && k + 1 < sizeof s->log) s->log[k++] = config.ptr[j++];
      s->log[k] = 0;
    }
  }
  append(s, "create");
  *out = s;
  return TOLLGATE_STATUS_OK;
}

static void destroy(tollgate_type_instance_plugin_ptr instance) {
  append(instance, "destroy");
  free(instance);
}

static tollgate_type_pre_call_verdict pre_call(tollgate_type_instance_plugin_ptr instance, tollgate_type_call_ptr call,
                                               tollgate_type_call_state_plugin_ptr *state) {
  (void)state;
  stamp *s = instance;
  tollgate_type_str name = TOLLGATE_STR("x-test-stamp");
  tollgate_type_str value = {STAMP, strlen(STAMP)};
  s->api->map_set(call, TOLLGATE_MAP_RESPONSE_HEADERS, name, value);
  return TOLLGATE_PRE_CALL_CONTINUE;
}

static const tollgate_type_plugin_descriptor descriptor = {
    sizeof(tollgate_type_plugin_descriptor), TOLLGATE_ABI_MAJOR, 0,
    TOLLGATE_STR("stamp"), TOLLGATE_STR(STAMP), TOLLGATE_PLUGIN_FLAG_UNLOAD_SAFE,
    create, destroy, pre_call, 0, 0};

const tollgate_type_plugin_descriptor *tollgate_plugin_entry_v1(uint16_t major, uint16_t minor) {
  (void)major; (void)minor;
  return &descriptor;
}
