/*
 * header_router — a team's own routing plugin, in plain C.
 *
 * Picks the model from a request header. With
 *
 *   plugins:
 *     - path: ./Plugins/examples/header-router/libheader_router.so
 *       config: {header: x-route-tier, routes: {fast: demo-small, smart: demo-large}}
 *
 * a request sent with `x-route-tier: fast` goes to demo-small, whatever
 * model it asked for. Unknown tiers and requests without the header are
 * left alone. The core still checks the final model against the key's
 * allowed models, so a router can never widen a key's scope.
 *
 * Build:  make            (or: cc -O2 -shared -fPIC -I../../../tollgate-plugin-kit/Sources/CTollgatePlugin/include \
 *                                 header_router.c -o libheader_router.so)
 */
#include <stdlib.h>
#include <string.h>
#include "tollgate_plugin.h"

#define MAX_ROUTES 32
#define MAX_TEXT 128

typedef struct {
  char header[MAX_TEXT];
  size_t count;
  char tier[MAX_ROUTES][MAX_TEXT];
  char model[MAX_ROUTES][MAX_TEXT];
  const tollgate_type_host_api *api;
  tollgate_type_host_ptr host;
  uint32_t routed_metric;
} router;

/* ---- a very small reader for the flat JSON config this plugin takes ---- */

static const char *skip_ws(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')) p++;
  return p;
}

/* Reads a JSON string without escapes into out; returns the position after
 * it, or NULL. */
static const char *read_string(const char *p, const char *end, char *out, size_t cap) {
  p = skip_ws(p, end);
  if (p >= end || *p != '"') return NULL;
  p++;
  size_t n = 0;
  while (p < end && *p != '"') {
    if (*p == '\\' || n + 1 >= cap) return NULL;
    out[n++] = *p++;
  }
  if (p >= end) return NULL;
  out[n] = 0;
  return p + 1;
}

static int parse_config(router *r, const char *p, const char *end, char *err, size_t cap, size_t *len) {
  const char *problem = NULL;
  strcpy(r->header, "x-route-tier");
  p = skip_ws(p, end);
  if (p >= end || *p != '{') { problem = "config must be an object"; goto fail; }
  p++;
  for (;;) {
    char key[MAX_TEXT];
    p = skip_ws(p, end);
    if (p < end && *p == '}') break;
    if (!(p = read_string(p, end, key, sizeof key))) { problem = "expected a key"; goto fail; }
    p = skip_ws(p, end);
    if (p >= end || *p != ':') { problem = "expected ':'"; goto fail; }
    p++;
    if (strcmp(key, "header") == 0) {
      if (!(p = read_string(p, end, r->header, sizeof r->header))) { problem = "header must be a string"; goto fail; }
    } else if (strcmp(key, "routes") == 0) {
      p = skip_ws(p, end);
      if (p >= end || *p != '{') { problem = "routes must be an object of tier: model"; goto fail; }
      p++;
      for (;;) {
        p = skip_ws(p, end);
        if (p < end && *p == '}') { p++; break; }
        if (r->count == MAX_ROUTES) { problem = "too many routes (max 32)"; goto fail; }
        if (!(p = read_string(p, end, r->tier[r->count], MAX_TEXT))) { problem = "bad tier name"; goto fail; }
        p = skip_ws(p, end);
        if (p >= end || *p != ':') { problem = "expected ':' in routes"; goto fail; }
        if (!(p = read_string(p + 1, end, r->model[r->count], MAX_TEXT))) { problem = "route targets must be model names"; goto fail; }
        r->count++;
        p = skip_ws(p, end);
        if (p < end && *p == ',') p++;
      }
    } else {
      problem = "unknown key (expected header or routes)";
      goto fail;
    }
    p = skip_ws(p, end);
    if (p < end && *p == ',') p++;
  }
  if (r->count == 0) { problem = "routes is empty: nothing to route"; goto fail; }
  return 1;
fail:
  *len = strlen(problem) < cap ? strlen(problem) : cap;
  memcpy(err, problem, *len);
  return 0;
}

/* ---- the hooks ---- */

static tollgate_type_status create(const tollgate_type_host_api *api, tollgate_type_host_ptr host,
                                   tollgate_type_str config, tollgate_type_instance_plugin_ptr *out,
                                   char *err, size_t cap, size_t *len) {
  router *r = calloc(1, sizeof(router));
  if (!r) return TOLLGATE_STATUS_INTERNAL;
  if (!parse_config(r, config.ptr, config.ptr + config.len, err, cap, len)) {
    free(r);
    return TOLLGATE_STATUS_INVALID_ARGUMENT;
  }
  r->api = api;
  r->host = host;
  tollgate_type_str name = TOLLGATE_STR("header_router_routed_total");
  tollgate_type_str help = TOLLGATE_STR("Requests the header router sent to another model.");
  tollgate_type_str labels = TOLLGATE_STR("tier");
  api->metric_define(host, TOLLGATE_METRIC_COUNTER, name, help, labels, &r->routed_metric);
  *out = r;
  return TOLLGATE_STATUS_OK;
}

static void destroy(tollgate_type_instance_plugin_ptr instance) { free(instance); }

static tollgate_type_pre_call_verdict pre_call(tollgate_type_instance_plugin_ptr instance, tollgate_type_call_ptr call,
                                               tollgate_type_call_state_plugin_ptr *state) {
  router *r = instance;
  (void)state; /* this plugin keeps no per-request state */
  tollgate_type_str header = {r->header, strlen(r->header)};
  tollgate_type_str tier;
  if (r->api->map_get(call, TOLLGATE_MAP_REQUEST_HEADERS, header, &tier) != TOLLGATE_STATUS_OK) {
    return TOLLGATE_PRE_CALL_CONTINUE; /* no header: leave the request alone */
  }
  for (size_t i = 0; i < r->count; i++) {
    if (strlen(r->tier[i]) == tier.len && memcmp(r->tier[i], tier.ptr, tier.len) == 0) {
      tollgate_type_str model = {r->model[i], strlen(r->model[i])};
      if (r->api->set_model(call, model) != TOLLGATE_STATUS_OK) return TOLLGATE_PRE_CALL_ERROR;
      tollgate_type_str key = TOLLGATE_STR("routed_by");
      tollgate_type_str value = TOLLGATE_STR("header-router");
      r->api->map_set(call, TOLLGATE_MAP_ATTRIBUTES, key, value);
      r->api->metric_record(r->host, r->routed_metric, &tier, 1, 1.0);
      return TOLLGATE_PRE_CALL_CONTINUE;
    }
  }
  return TOLLGATE_PRE_CALL_CONTINUE;
}

/* Designated initializers: a hook this plugin does not implement, and any
 * field a newer header appends (on_route came in 1.4), is NULL/0. */
static const tollgate_type_plugin_descriptor descriptor = {
    .struct_size = sizeof(tollgate_type_plugin_descriptor),
    .abi_major = TOLLGATE_ABI_MAJOR,
    .abi_minor = 0, /* needs nothing beyond ABI 1.0 */
    .name = TOLLGATE_STR("header-router"),
    .version = TOLLGATE_STR("1.0.0"),
    .flags = TOLLGATE_PLUGIN_FLAG_UNLOAD_SAFE, /* plain C, no global state: may be dlclose'd */
    .on_create = create,
    .on_destroy = destroy,
    .on_pre_call = pre_call, /* no on_chunk, on_post_call or on_route */
};

const tollgate_type_plugin_descriptor *tollgate_plugin_entry_v1(uint16_t host_major, uint16_t host_minor) {
  (void)host_major;
  (void)host_minor;
  return &descriptor;
}
