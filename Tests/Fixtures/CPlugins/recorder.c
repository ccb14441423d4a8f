/* A configurable test plugin. Config (JSON, read crudely: test code):
 *   "name":   label written in the log (default "recorder")
 *   "log":    file every hook appends one line to:
 *               pre <name> <request-id>
 *               chunk <name> <request-id> <kind>
 *               post <name> <request-id> <outcome> <status> <tokens_in> <tokens_out> <cost> <decided_by or ->
 *   "action": continue | reject | respond | error | set_model   (pre_call)
 *             | reject_silently | error_silently  (the verdict without set_error)
 *   "model":  the model for set_model
 *   "status": HTTP status for reject (default 429)
 *   "stamp":  if set, response header x-test-stamp: <stamp>
 *   "redact": if set, every prompt segment has this word replaced by [REDACTED]
 *   "upper_chunks": "1" → chunk text is replaced by a marker-wrapped copy "<<text>>"
 *   "abort_after": N → on_chunk aborts at chunk index N
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tollgate_plugin.h"

typedef struct {
  const tollgate_type_host_api *api;
  tollgate_type_host_ptr host;
  char name[64], log[512], action[32], model[128], stamp[64], redact[64];
  int status, upper_chunks, abort_after;
} recorder;

static void json_string(const char *json, size_t len, const char *key, char *out, size_t cap) {
  char pattern[80];
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  out[0] = 0;
  const char *end = json + len;
  size_t plen = strlen(pattern);
  for (const char *p = json; p + plen <= end; p++) {
    if (memcmp(p, pattern, plen) == 0) {
      p += plen;
      size_t i = 0;
      while (p < end && *p != '"' && i + 1 < cap) out[i++] = *p++;
      out[i] = 0;
      return;
    }
  }
}

static int json_int(const char *json, size_t len, const char *key, int fallback) {
  char buf[32];
  json_string(json, len, key, buf, sizeof buf);
  if (buf[0]) return atoi(buf);
  char pattern[80];
  snprintf(pattern, sizeof pattern, "\"%s\":", key);
  size_t plen = strlen(pattern);
  for (const char *p = json; p + plen <= json + len; p++)
    if (memcmp(p, pattern, plen) == 0) return atoi(p + plen);
  return fallback;
}

static void append_line(recorder *r, const char *line) {
  if (!r->log[0]) return;
  int fd = open(r->log, O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) return;
  ssize_t ignored = write(fd, line, strlen(line));
  (void)ignored;
  close(fd);
}

static void get_string(recorder *r, tollgate_type_call_ptr call, tollgate_type_property p, char *out, size_t cap) {
  tollgate_type_str s = {0, 0};
  out[0] = 0;
  if (r->api->get_string(call, p, &s) != TOLLGATE_STATUS_OK) return;
  size_t n = s.len < cap - 1 ? s.len : cap - 1;
  memcpy(out, s.ptr, n);
  out[n] = 0;
}

static int64_t get_int(recorder *r, tollgate_type_call_ptr call, tollgate_type_property p) {
  int64_t v = -1;
  r->api->get_int(call, p, &v);
  return v;
}

static tollgate_type_str str(const char *s) {
  tollgate_type_str t = {s, strlen(s)};
  return t;
}

static tollgate_type_status create(const tollgate_type_host_api *api, tollgate_type_host_ptr host,
                                   tollgate_type_str config, tollgate_type_instance_plugin_ptr *out,
                                   char *err, size_t cap, size_t *len) {
  recorder *r = calloc(1, sizeof(recorder));
  r->api = api;
  r->host = host;
  json_string(config.ptr, config.len, "name", r->name, sizeof r->name);
  if (!r->name[0]) strcpy(r->name, "recorder");
  json_string(config.ptr, config.len, "log", r->log, sizeof r->log);
  json_string(config.ptr, config.len, "action", r->action, sizeof r->action);
  json_string(config.ptr, config.len, "model", r->model, sizeof r->model);
  json_string(config.ptr, config.len, "stamp", r->stamp, sizeof r->stamp);
  json_string(config.ptr, config.len, "redact", r->redact, sizeof r->redact);
  r->status = json_int(config.ptr, config.len, "status", 429);
  r->upper_chunks = json_int(config.ptr, config.len, "upper_chunks", 0);
  r->abort_after = json_int(config.ptr, config.len, "abort_after", -1);
  *out = r;
  return TOLLGATE_STATUS_OK;
}

static void destroy(tollgate_type_instance_plugin_ptr instance) {
  recorder *r = instance;
  char line[128];
  snprintf(line, sizeof line, "destroy %s\n", r->name);
  append_line(r, line);
  free(r);
}

static tollgate_type_pre_call_verdict pre_call(tollgate_type_instance_plugin_ptr instance, tollgate_type_call_ptr call,
                                               tollgate_type_call_state_plugin_ptr *state) {
  recorder *r = instance;
  char id[64], line[256];
  get_string(r, call, TOLLGATE_PROP_REQUEST_ID, id, sizeof id);
  snprintf(line, sizeof line, "pre %s %s\n", r->name, id);
  append_line(r, line);
  /* Per-request state: a heap copy of the id, freed in post_call. */
  *state = strdup(id);

  if (r->stamp[0]) r->api->map_set(call, TOLLGATE_MAP_RESPONSE_HEADERS, str("x-test-stamp"), str(r->stamp));
  r->api->map_set(call, TOLLGATE_MAP_ATTRIBUTES, str("seen_by"), str(r->name));

  if (r->redact[0]) {
    size_t count = 0;
    r->api->prompt_segment_count(call, &count);
    for (size_t i = 0; i < count; i++) {
      tollgate_type_str text, role;
      if (r->api->get_prompt_segment(call, i, &text, &role) != TOLLGATE_STATUS_OK) continue;
      char buf[4096], out[8192];
      size_t n = text.len < sizeof buf - 1 ? text.len : sizeof buf - 1;
      memcpy(buf, text.ptr, n);
      buf[n] = 0;
      out[0] = 0;
      char *p = buf, *hit;
      size_t wl = strlen(r->redact);
      while ((hit = strstr(p, r->redact)) != NULL) {
        strncat(out, p, (size_t)(hit - p));
        strcat(out, "[REDACTED]");
        p = hit + wl;
      }
      strcat(out, p);
      r->api->set_prompt_segment(call, i, str(out));
    }
  }

  if (strcmp(r->action, "reject") == 0) {
    r->api->set_error(call, (uint16_t)r->status, str("rate_limit_exceeded"), str("test_reject"),
                      str("rejected by the recorder test plugin"));
    r->api->map_set(call, TOLLGATE_MAP_RESPONSE_HEADERS, str("retry-after"), str("7"));
    return TOLLGATE_PRE_CALL_REJECT;
  }
  if (strcmp(r->action, "respond") == 0) {
    const char *body = "{\"synthetic\":true}";
    r->api->set_response(call, 200, str("application/json"), str(body));
    return TOLLGATE_PRE_CALL_RESPOND;
  }
  if (strcmp(r->action, "error") == 0) {
    r->api->set_error(call, 500, str("plugin_error"), str(""), str("recorder was told to fail"));
    return TOLLGATE_PRE_CALL_ERROR;
  }
  if (strcmp(r->action, "reject_silently") == 0) return TOLLGATE_PRE_CALL_REJECT;
  if (strcmp(r->action, "error_silently") == 0) return TOLLGATE_PRE_CALL_ERROR;
  if (strcmp(r->action, "set_model") == 0) {
    r->api->set_model(call, str(r->model));
  }
  return TOLLGATE_PRE_CALL_CONTINUE;
}

static tollgate_type_chunk_verdict on_chunk(tollgate_type_instance_plugin_ptr instance, tollgate_type_call_ptr call,
                                            tollgate_type_call_state_plugin_ptr state) {
  recorder *r = instance;
  char line[256];
  int64_t kind = get_int(r, call, TOLLGATE_PROP_CHUNK_KIND);
  int64_t index = get_int(r, call, TOLLGATE_PROP_CHUNK_INDEX);
  snprintf(line, sizeof line, "chunk %s %s %lld %lld\n", r->name, state ? (char *)state : "-", (long long)kind,
           (long long)get_int(r, call, TOLLGATE_PROP_TOKENS_OUT));
  append_line(r, line);
  if (r->abort_after >= 0 && index >= r->abort_after) {
    r->api->set_error(call, 400, str("content_policy"), str("aborted"), str("aborted by the recorder test plugin"));
    return TOLLGATE_CHUNK_ABORT;
  }
  if (r->upper_chunks && (kind == TOLLGATE_CHUNK_TEXT || kind == TOLLGATE_CHUNK_BODY)) {
    tollgate_type_str text;
    if (r->api->get_chunk_text(call, &text) == TOLLGATE_STATUS_OK && text.len > 0) {
      char buf[8192];
      int n = snprintf(buf, sizeof buf, "<<%.*s>>", (int)text.len, text.ptr);
      if (n > 0) {
        tollgate_type_str t = {buf, (size_t)n};
        r->api->set_chunk_text(call, t);
        return TOLLGATE_CHUNK_REPLACE;
      }
    }
  }
  return TOLLGATE_CHUNK_CONTINUE;
}

static tollgate_type_status post_call(tollgate_type_instance_plugin_ptr instance, tollgate_type_call_ptr call,
                                      tollgate_type_call_state_plugin_ptr state) {
  recorder *r = instance;
  char outcome[64], decided_by[64], line[512];
  get_string(r, call, TOLLGATE_PROP_OUTCOME, outcome, sizeof outcome);
  get_string(r, call, TOLLGATE_PROP_DECIDED_BY, decided_by, sizeof decided_by);
  snprintf(line, sizeof line, "post %s %s %s %lld %lld %lld %lld %s\n", r->name, state ? (char *)state : "-", outcome,
           (long long)get_int(r, call, TOLLGATE_PROP_STATUS), (long long)get_int(r, call, TOLLGATE_PROP_TOKENS_IN),
           (long long)get_int(r, call, TOLLGATE_PROP_TOKENS_OUT), (long long)get_int(r, call, TOLLGATE_PROP_COST_NANOS),
           decided_by[0] ? decided_by : "-");
  append_line(r, line);
  free(state);
  return TOLLGATE_STATUS_OK;
}

static const tollgate_type_plugin_descriptor descriptor = {
    sizeof(tollgate_type_plugin_descriptor), TOLLGATE_ABI_MAJOR, TOLLGATE_ABI_MINOR,
    TOLLGATE_STR("recorder"), TOLLGATE_STR("1.0.0"), TOLLGATE_PLUGIN_FLAG_UNLOAD_SAFE,
    create, destroy, pre_call, on_chunk, post_call};

const tollgate_type_plugin_descriptor *tollgate_plugin_entry_v1(uint16_t major, uint16_t minor) {
  return &descriptor;
}
