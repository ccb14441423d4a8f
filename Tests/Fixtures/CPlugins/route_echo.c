/* A plugin that serves routes (ABI 1.4). Config (JSON, read crudely):
 *   "path": the route it declares for GET (default "/admin/echo").
 * on_route answers by the query string:
 *   mode=fail    returns INTERNAL (the host answers 500)
 *   mode=silent  returns OK without route_respond (the host answers 500)
 *   otherwise    200 {"method":M,"path":P,"query":Q,"body":B} (no escaping:
 *                tests send plain text)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tollgate_plugin.h"

typedef struct {
  const tollgate_type_host_api *api;
} echo;

static tollgate_type_status create(const tollgate_type_host_api *api, tollgate_type_host_ptr host,
                                   tollgate_type_str config, tollgate_type_instance_plugin_ptr *out,
                                   char *err, size_t cap, size_t *err_len) {
  char path[128] = "/admin/echo";
  const char *key = "\"path\":\"";
  for (size_t i = 0; i + strlen(key) <= config.len; i++) {
    if (memcmp(config.ptr + i, key, strlen(key)) == 0) {
      size_t start = i + strlen(key), n = 0;
      while (start + n < config.len && config.ptr[start + n] != '"' && n + 1 < sizeof path) n++;
      memcpy(path, config.ptr + start, n);
      path[n] = 0;
      break;
    }
  }
  tollgate_type_str method = TOLLGATE_STR("GET");
  tollgate_type_str route = {path, strlen(path)};
  tollgate_type_status status = api->declare_route(host, method, route, TOLLGATE_ROUTE_ROLE_ADMIN);
  if (status != TOLLGATE_STATUS_OK) {
    *err_len = (size_t)snprintf(err, cap, "declare_route answered %d", (int)status);
    if (*err_len > cap) *err_len = cap;
    return status;
  }
  echo *self = calloc(1, sizeof *self);
  self->api = api;
  *out = self;
  return TOLLGATE_STATUS_OK;
}

static void destroy(tollgate_type_instance_plugin_ptr p) { free(p); }

static tollgate_type_status on_route(tollgate_type_instance_plugin_ptr p, tollgate_type_route_ptr route) {
  echo *self = p;
  tollgate_type_str method = {0, 0}, path = {0, 0}, query = {0, 0}, body = {0, 0};
  self->api->route_get_string(route, TOLLGATE_ROUTE_PROP_METHOD, &method);
  self->api->route_get_string(route, TOLLGATE_ROUTE_PROP_PATH, &path);
  self->api->route_get_string(route, TOLLGATE_ROUTE_PROP_QUERY, &query);
  self->api->route_get_string(route, TOLLGATE_ROUTE_PROP_BODY, &body);
  if (query.len == 9 && memcmp(query.ptr, "mode=fail", 9) == 0) return TOLLGATE_STATUS_INTERNAL;
  if (query.len == 11 && memcmp(query.ptr, "mode=silent", 11) == 0) return TOLLGATE_STATUS_OK;
  char out[1024];
  int n = snprintf(out, sizeof out, "{\"method\":\"%.*s\",\"path\":\"%.*s\",\"query\":\"%.*s\",\"body\":\"%.*s\"}",
                   (int)method.len, method.ptr ? method.ptr : "", (int)path.len, path.ptr ? path.ptr : "",
                   (int)query.len, query.ptr ? query.ptr : "", (int)body.len, body.ptr ? body.ptr : "");
  tollgate_type_str answer = {out, (size_t)n};
  tollgate_type_str content_type = TOLLGATE_STR("");
  return self->api->route_respond(route, 200, content_type, answer);
}

static const tollgate_type_plugin_descriptor descriptor = {
    sizeof(tollgate_type_plugin_descriptor), TOLLGATE_ABI_MAJOR, 4,
    TOLLGATE_STR("route-echo"), TOLLGATE_STR("0.0.1"), TOLLGATE_PLUGIN_FLAG_UNLOAD_SAFE,
    create, destroy, 0, 0, 0, on_route};

const tollgate_type_plugin_descriptor *tollgate_plugin_entry_v1(uint16_t major, uint16_t minor) {
  return major == TOLLGATE_ABI_MAJOR && minor >= 4 ? &descriptor : 0;
}
