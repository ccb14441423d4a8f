/*
 * tollgate_plugin.h — the Tollgate plugin ABI, version 1.
 *
 * This header is the whole contract between the Tollgate gateway (the
 * "host") and a plugin (a shared library the host loads with dlopen). It is
 * plain C99 with no dependency beyond <stddef.h> and <stdint.h>, so a plugin
 * can be written in any language that can export a C function.
 *
 * ---------------------------------------------------------------------------
 * Naming
 * ---------------------------------------------------------------------------
 *   tollgate_type_*      types and constants
 *   tollgate_on_*        functions the PLUGIN implements (hooks)
 *   tollgate_callback_*  functions the HOST implements (the host API table)
 *   *_host_ptr           memory owned by the host; the plugin must not free it
 *   *_plugin_ptr         memory owned by the plugin; the host never frees it
 *
 * ---------------------------------------------------------------------------
 * Life of a plugin
 * ---------------------------------------------------------------------------
 * 1. The host copies the .so to a content-addressed path, dlopens it with
 *    RTLD_NOW | RTLD_LOCAL (| RTLD_NODELETE unless the plugin is
 *    unload-safe), and looks up exactly one symbol:
 *
 *        const tollgate_type_plugin_descriptor *
 *        tollgate_plugin_entry_v1(uint16_t host_abi_major,
 *                                 uint16_t host_abi_minor);
 *
 *    The major version is part of the symbol name, so a v2 host never calls
 *    a v1 entry by mistake. The plugin returns a pointer to a descriptor in
 *    static storage, or NULL to refuse this host (for example because it
 *    needs host functions added in a later minor version).
 *    The host accepts the descriptor when descriptor.abi_major equals the
 *    host's major and descriptor.abi_minor <= the host's minor.
 *
 * 2. For each entry under `plugins:` in the configuration the host calls
 *    on_create once, on the control thread, with the host API table and the
 *    plugin's `config:` block rendered as JSON. One .so may back several
 *    instances (several config entries); instances share nothing the host
 *    knows of.
 *
 * 3. Requests run the hooks (below). Hooks of different requests run
 *    concurrently on different threads: an instance must be thread-safe.
 *    Hooks of one request are serialised and never nested. A plugin that
 *    declared routes (1.4) also gets on_route, for admin requests on them,
 *    concurrently with hooks and other routes.
 *
 * 4. When the generation the instance belongs to is retired (hot reload) and
 *    every request that pinned it has finished, the host calls on_destroy on
 *    the control thread. No hook of that instance runs after, or during,
 *    on_destroy.
 *
 * ---------------------------------------------------------------------------
 * The hooks of one request
 * ---------------------------------------------------------------------------
 *   on_pre_call   in configured order, before the request is forwarded.
 *                 May read and edit the request, reject it, or answer it.
 *   on_chunk      in REVERSE configured order, once per response event:
 *                 each server-sent event of a stream, or the whole body of a
 *                 non-stream response (one call).
 *   on_post_call  in REVERSE configured order, once, after the outcome is
 *                 known.
 *
 * The guarantee that makes reservations refundable: a plugin that ENTERED a
 * request gets exactly one on_post_call for it — after success, an upstream
 * error, a reject by a later plugin or by the core, a client disconnect, or
 * a timeout. A plugin enters a request when its on_pre_call has been called
 * (whatever it returned), or, if its on_pre_call is NULL, when the pre-call
 * chain reaches its position. A plugin positioned after a plugin that
 * rejected never enters, and gets neither on_chunk nor on_post_call.
 * So a plugin that itself returned REJECT or RESPOND still gets its
 * on_post_call, with the call_state it stored; and a fail-open plugin whose
 * on_pre_call returned ERROR stays entered: it gets on_chunk for every
 * response event and its on_post_call, as if it had returned CONTINUE.
 *
 * When on_post_call runs, relative to the response: normally BEFORE the
 * response's last bytes are written. The host runs the post-call chain,
 * waits until the writes plugins asked to make durable are committed
 * (counter settles, ledger rows), and only then writes the last bytes (the
 * end of a stream, a whole non-stream body, an error or a synthetic
 * response), so no client sees a finished response whose accounting a
 * crash could still lose. After a client disconnect it runs once the
 * socket is closed. Nothing in on_post_call can change the response any
 * more.
 *
 * ---------------------------------------------------------------------------
 * Memory
 * ---------------------------------------------------------------------------
 * - Everything the host hands to a hook (strings, the call handle) is
 *   BORROWED until that hook returns. Copy what you need to keep.
 * - Every host setter COPIES its input; the plugin may free or reuse its
 *   buffer as soon as the setter returns.
 * - Nothing is ever freed across the boundary: the host never frees plugin
 *   memory and the plugin never frees host memory.
 * - Strings are (pointer, length) pairs, UTF-8, NOT NUL-terminated. A
 *   string with len == 0 may have ptr == NULL.
 *
 * ---------------------------------------------------------------------------
 * Compatibility rules (append-only)
 * ---------------------------------------------------------------------------
 * - Every struct starts with `uint32_t struct_size`. New fields are only
 *   ever added at the end, and a reader checks struct_size before touching
 *   a field beyond the ones of the version it was built against. The
 *   TOLLGATE_HAS_FIELD macro does that check.
 * - Host API functions are only ever appended to the table, grouped under
 *   an "added in 1.N" comment, and the minor version is bumped with them.
 * - Constants (status codes, property ids, map ids, verdicts) are never
 *   renumbered; new ones take new numbers.
 * - Anything else is a new major version and a new entry symbol name.
 *
 * ---------------------------------------------------------------------------
 * Status codes and out-parameters
 * ---------------------------------------------------------------------------
 * Every host callback returns a tollgate_type_status and writes its results
 * through out-parameters. An out-parameter is written only when the status
 * is TOLLGATE_STATUS_OK. A NULL out-parameter is INVALID_ARGUMENT unless the
 * callback says it may be NULL (then the host skips it):
 * get_prompt_segment's role_out, map_entry's key_out and value_out,
 * counter_reserve's refused_state_out.
 *
 * ---------------------------------------------------------------------------
 * Phases: where each callback works
 * ---------------------------------------------------------------------------
 * A callback's PHASE is which hook of its handle is running.
 * - A call handle works only while one of its hooks runs; each callback
 *   and property says which (pre = on_pre_call, chunk = on_chunk, post =
 *   on_post_call). Between the hooks of a call, and after on_post_call,
 *   every call callback answers WRONG_PHASE, and so does log given such a
 *   call.
 * - A route handle (1.4) works only while its on_route runs.
 * - Callbacks on the host handle work anywhere: on_create, any hook,
 *   on_destroy, any thread — except declare_route (on_create only).
 * The gateway and the test kit's fake host apply one table of these rules
 * (TollgateABI, in the plugin kit), and a test proves they agree.
 */
#ifndef TOLLGATE_PLUGIN_H
#define TOLLGATE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ========================================================================
 * Versions
 * ======================================================================== */

/* The ABI version this header describes. A plugin puts these numbers in its
 * descriptor; the host passes its own to the entry function. */
#define TOLLGATE_ABI_MAJOR 1
#define TOLLGATE_ABI_MINOR 6

/* The name of the entry symbol for this major version. */
#define TOLLGATE_PLUGIN_ENTRY_SYMBOL "tollgate_plugin_entry_v1"

/* True when a struct of the given (runtime) size contains `field`. */
#define TOLLGATE_HAS_FIELD(struct_ptr, type, field)                           \
  ((struct_ptr)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* ========================================================================
 * Basic types
 * ======================================================================== */

/* A UTF-8 string as (pointer, length). Not NUL-terminated. Who owns the
 * bytes, and for how long, is said at every place a tollgate_type_str
 * appears. */
typedef struct tollgate_type_str {
  const char *ptr;
  size_t len;
} tollgate_type_str;

/* Builds a tollgate_type_str from a string literal: TOLLGATE_STR("budget"). */
#define TOLLGATE_STR(literal) \
  { (literal), sizeof(literal) - 1 }

/* Status returned by every host callback. */
typedef int32_t tollgate_type_status;
/* The call succeeded; out-parameters are written. */
#define TOLLGATE_STATUS_OK 0
/* The thing asked for does not exist (no such header, property not set,
 * unknown model, index out of range). Not an error in itself. */
#define TOLLGATE_STATUS_NOT_FOUND 1
/* An argument is malformed: a NULL out-parameter, a string that is not
 * valid UTF-8, a body that is not valid JSON, an unknown id. */
#define TOLLGATE_STATUS_INVALID_ARGUMENT 2
/* The callback is not allowed in the current hook (for example setting the
 * model from on_post_call). See each callback for where it may be used.
 * The host counts each one for the operator, with READ_ONLY below, in
 * tollgate_plugin_host_call_refused_total{plugin, function, status}; in
 * logs and labels a status is named like its constant, in lower case and
 * without the prefix ("wrong_phase"). */
#define TOLLGATE_STATUS_WRONG_PHASE 3
/* The target is read-only (for example a request header). */
#define TOLLGATE_STATUS_READ_ONLY 4
/* A limit refused the operation (for example a counter reservation that
 * does not fit). */
#define TOLLGATE_STATUS_REFUSED 5
/* The host cannot serve the call right now (storage down, shutting down). */
#define TOLLGATE_STATUS_UNAVAILABLE 6
/* A bug in the host; the message is logged by the host. */
#define TOLLGATE_STATUS_INTERNAL 7

/* Opaque handle to the host's side of one plugin instance. Valid from the
 * start of on_create until on_destroy returns. Owned by the host. */
typedef struct tollgate_type_host *tollgate_type_host_ptr;

/* Opaque handle to one request (a "call") in the host. Valid only during the
 * hook it was passed to. Owned by the host. */
typedef struct tollgate_type_call *tollgate_type_call_ptr;

/* The plugin's instance, returned by on_create. The host passes it back to
 * every hook and to on_destroy and never dereferences it. Owned by the
 * plugin. */
typedef void *tollgate_type_instance_plugin_ptr;

/* The plugin's per-request state. on_pre_call may store a pointer in
 * *call_state; the host passes the same pointer to on_chunk and
 * on_post_call of that request (NULL if never set). The plugin frees it in
 * on_post_call, which is guaranteed to run (see "The hooks of one
 * request"). Owned by the plugin. */
typedef void *tollgate_type_call_state_plugin_ptr;

/* ========================================================================
 * Identifiers used with the host callbacks
 * ======================================================================== */

/* Log levels for tollgate_callback_log. */
typedef int32_t tollgate_type_log_level;
#define TOLLGATE_LOG_TRACE 0
#define TOLLGATE_LOG_DEBUG 1
#define TOLLGATE_LOG_INFO 2
#define TOLLGATE_LOG_WARNING 3
#define TOLLGATE_LOG_ERROR 4

/* Properties of a call, read with tollgate_callback_get_string /
 * tollgate_callback_get_int. The comment gives the type and the hooks in
 * which the property is available (pre = on_pre_call, chunk = on_chunk,
 * post = on_post_call). Reading a property outside those hooks returns
 * TOLLGATE_STATUS_WRONG_PHASE; a property that has no value for this call
 * returns TOLLGATE_STATUS_NOT_FOUND. */
typedef int32_t tollgate_type_property;
/* string, all: the request id, also sent to the client as x-request-id. */
#define TOLLGATE_PROP_REQUEST_ID 1
/* string, all: which API the client called: "openai" or "anthropic". */
#define TOLLGATE_PROP_API 2
/* string, all: the model the client asked for, before any plugin. */
#define TOLLGATE_PROP_MODEL_REQUESTED 3
/* string, all: the current public model name (what routing may change). */
#define TOLLGATE_PROP_MODEL 4
/* string, all: identity of the virtual key that authenticated the call. */
#define TOLLGATE_PROP_KEY_ID 5
#define TOLLGATE_PROP_ORG 6
#define TOLLGATE_PROP_TEAM 7
#define TOLLGATE_PROP_OWNER 8
/* string, all: "production" or "experimentation". */
#define TOLLGATE_PROP_KEY_CLASS 9
/* string, all: the end-user id from the body (OpenAI `user`, Anthropic
 * `metadata.user_id`). NOT_FOUND when absent. */
#define TOLLGATE_PROP_END_USER 10
/* string, all: provider kind of the current model in the catalog:
 * "openai", "anthropic" or "mock". NOT_FOUND for a model not in the
 * catalog. */
#define TOLLGATE_PROP_PROVIDER 11
/* string, chunk+post: the public model that actually served the call (after
 * fallbacks). NOT_FOUND when no upstream was called. */
#define TOLLGATE_PROP_MODEL_SERVED 12
/* string, chunk+post: the deployment (catalog entry name) that served. */
#define TOLLGATE_PROP_DEPLOYMENT 13
/* string, post: outcome of the call, one of
 *   "success"            the upstream answered 2xx and its whole answer
 *                        went through the chunk hooks; the last bytes are
 *                        handed to the kernel (written to the client's
 *                        socket) right after the post-call chain. It says
 *                        nothing of whether the client read them.
 *   "upstream_error"     the upstream answered with a non-2xx status
 *   "upstream_failure"   the upstream could not be reached, timed out, or
 *                        broke the stream
 *   "rejected"           a plugin or the core refused the call
 *   "responded"          a plugin answered the call itself
 *   "client_disconnect"  the client went away before the end
 *   "aborted"            a plugin aborted the response (CHUNK_ABORT), or the
 *                        core cut the call because the gateway shut down
 *                        past its grace period (decided_by "core") */
#define TOLLGATE_PROP_OUTCOME 14
/* string, post: for "rejected"/"responded"/"aborted": who decided — the
 * INSTANCE name of the plugin (its `id:` in the config, else its `name:`,
 * else the library's file name without extension: the value of
 * TOLLGATE_HOST_PROP_INSTANCE_NAME, not the descriptor's `name`), or
 * "core". NOT_FOUND otherwise. */
#define TOLLGATE_PROP_DECIDED_BY 15
/* string, post: a short human-readable reason for a non-success outcome. */
#define TOLLGATE_PROP_OUTCOME_DETAIL 16
/* string, all: the route path the client called, e.g. "/v1/messages". */
#define TOLLGATE_PROP_ROUTE 17

/* int, all: max output tokens the request asks for; NOT_FOUND if unset. */
#define TOLLGATE_PROP_MAX_OUTPUT_TOKENS 100
/* int, all: 1 if the client asked for a stream, else 0. */
#define TOLLGATE_PROP_STREAM 101
/* int, all: total UTF-8 bytes of all prompt text segments. */
#define TOLLGATE_PROP_PROMPT_BYTES 102
/* int, all: size of the request body in bytes as received. */
#define TOLLGATE_PROP_BODY_BYTES 103
/* int, all: the model's max output tokens from the catalog (NOT_FOUND for a
 * model not in the catalog). */
#define TOLLGATE_PROP_CATALOG_MAX_OUTPUT 104
/* int, all: the model's context window from the catalog (NOT_FOUND if the
 * catalog does not say). */
#define TOLLGATE_PROP_CATALOG_CONTEXT_WINDOW 105
/* int, all: key expiry as Unix seconds (NOT_FOUND when it never expires). */
#define TOLLGATE_PROP_KEY_EXPIRES_AT 106
/* int, post: HTTP status sent to the client (0 if none was sent). */
#define TOLLGATE_PROP_STATUS 107
/* int, chunk+post: input tokens NOT served from cache. In on_chunk, the
 * provider's figure once a stream event carried it, else the host's estimate
 * from the prompt (available in on_chunk since 1.1). */
#define TOLLGATE_PROP_TOKENS_IN 108
/* int, chunk+post: output tokens. In on_chunk, the running count so far
 * (estimated from the text until the provider reports usage). */
#define TOLLGATE_PROP_TOKENS_OUT 109
/* int, post: input tokens served from the provider's prompt cache. */
#define TOLLGATE_PROP_TOKENS_CACHED 110
/* int, post: 1 if the token counts are the host's estimate (the provider
 * gave no usage, e.g. an aborted stream), 0 if the provider measured them. */
#define TOLLGATE_PROP_USAGE_ESTIMATED 111
/* int, post: cost of the call in nano-dollars, computed by the host from
 * the usage and the catalog price of the model served (0 if nothing was
 * served). The same formula as tollgate_callback_compute_cost. */
#define TOLLGATE_PROP_COST_NANOS 112
/* int, post: microseconds from request received to last byte sent. */
#define TOLLGATE_PROP_LATENCY_US 113
/* int, post: microseconds spent waiting on the upstream. */
#define TOLLGATE_PROP_UPSTREAM_US 114
/* int, chunk+post: 1 once the first response byte reached the client. */
#define TOLLGATE_PROP_FIRST_BYTE_SENT 115
/* int, chunk: 0-based index of the current response event. */
#define TOLLGATE_PROP_CHUNK_INDEX 116
/* int, chunk: what the current response event is, see TOLLGATE_CHUNK_*. */
#define TOLLGATE_PROP_CHUNK_KIND 117
/* int, post: number of upstream attempts made (0 if none). */
#define TOLLGATE_PROP_UPSTREAM_ATTEMPTS 118
/* int, all: time the request was received, Unix microseconds. */
#define TOLLGATE_PROP_RECEIVED_AT_US 119

/* Values of TOLLGATE_PROP_CHUNK_KIND. */
#define TOLLGATE_CHUNK_TEXT 0  /* an event carrying generated text (may be "") */
#define TOLLGATE_CHUNK_OTHER 1 /* a stream event with no text (role, tool call, ping, usage) */
#define TOLLGATE_CHUNK_END 2   /* the last event of a stream ([DONE] / message_stop) */
#define TOLLGATE_CHUNK_BODY 3  /* the whole body of a non-stream response */

/* String maps of a call, used with the tollgate_callback_map_* functions.
 * Keys of header maps are lower-case. */
typedef int32_t tollgate_type_map;
/* The client's request headers. Read-only. All hooks. Authorization and
 * x-api-key are never visible (NOT_FOUND). */
#define TOLLGATE_MAP_REQUEST_HEADERS 1
/* Request attributes (tags): free-form key/value pairs any plugin may set in
 * on_pre_call and every later plugin, the ledger and the logs can read.
 * Read: all hooks. Write: on_pre_call only. */
#define TOLLGATE_MAP_ATTRIBUTES 2
/* The string values of the request body's `metadata` object (OpenAI and
 * Anthropic). Read-only. All hooks. */
#define TOLLGATE_MAP_METADATA 3
/* Extra headers the host adds to the response sent to the client, whatever
 * the outcome (a reject, a synthetic response, or the upstream's answer).
 * Write: on_pre_call and on_chunk of the first event (later writes after
 * the headers were sent return WRONG_PHASE). Read: all hooks. Setting an
 * existing key replaces its value. */
#define TOLLGATE_MAP_RESPONSE_HEADERS 4
/* The upstream's response headers. Read-only. chunk+post: in on_pre_call
 * there is no upstream answer yet, and every read answers WRONG_PHASE (an
 * absent header in chunk+post answers NOT_FOUND). */
#define TOLLGATE_MAP_UPSTREAM_HEADERS 5

/* Metric kinds for tollgate_callback_metric_define. */
typedef int32_t tollgate_type_metric_kind;
#define TOLLGATE_METRIC_COUNTER 0   /* value is added; must be >= 0 */
#define TOLLGATE_METRIC_GAUGE 1     /* value replaces the current one */
#define TOLLGATE_METRIC_HISTOGRAM 2 /* value is observed (seconds, by convention) */

/* Alert severities. */
typedef int32_t tollgate_type_alert_severity;
#define TOLLGATE_ALERT_INFO 0
#define TOLLGATE_ALERT_WARNING 1
#define TOLLGATE_ALERT_CRITICAL 2

/* An alert raised through tollgate_callback_raise_alert. The host copies
 * every field before the callback returns. */
typedef struct tollgate_type_alert {
  uint32_t struct_size; /* sizeof(tollgate_type_alert) as the plugin knows it */
  tollgate_type_alert_severity severity;
  /* Short machine-readable kind, e.g. "budget_threshold", "spend_spike". */
  tollgate_type_str kind;
  /* What the alert is about, e.g. "team/acme/payments". */
  tollgate_type_str subject;
  /* One-line human-readable message. */
  tollgate_type_str message;
  /* The same dedupe_key is delivered once per host dedupe window; use it to
   * encode "this condition in this window", e.g.
   * "budget_threshold:team/acme/payments:80:2026-11-22". */
  tollgate_type_str dedupe_key;
  /* Optional extra numbers and facts as a JSON object ("" for none). */
  tollgate_type_str details_json;
} tollgate_type_alert;

/* The price of a model, in nano-dollars (1e-9 USD) per million tokens. */
typedef struct tollgate_type_price {
  uint32_t struct_size; /* set by the CALLER to sizeof(tollgate_type_price) */
  int64_t input_per_mtok_nanos;
  int64_t output_per_mtok_nanos;
  int64_t cached_per_mtok_nanos;
} tollgate_type_price;

/* ========================================================================
 * The host API table
 *
 * Passed to on_create; valid until on_destroy returns. Owned by the host.
 * Before calling a function added after 1.0, check that it is present with
 * TOLLGATE_HAS_FIELD(api, tollgate_type_host_api, name).
 *
 * `host` arguments take the tollgate_type_host_ptr given to on_create.
 * `call` arguments take the tollgate_type_call_ptr given to the current
 * hook, and may only be used during that hook, on the thread that runs it.
 * ======================================================================== */

/* --- Logging ------------------------------------------------------------ */

/* Writes one log line, tagged with the plugin instance's name (and the
 * request id when `call` is not NULL). `call` may be NULL anywhere, and
 * must be NULL outside the call's hooks: a call handle kept past its hook
 * answers WRONG_PHASE.
 * Never log prompt or response text: the host does not scrub it. */
typedef tollgate_type_status (*tollgate_callback_log)(tollgate_type_host_ptr host,
                                                      tollgate_type_call_ptr call,
                                                      tollgate_type_log_level level,
                                                      tollgate_type_str message);

/* --- Metrics ------------------------------------------------------------ */

/* Declares a metric; call from on_create. `name` must match
 * [a-zA-Z_:][a-zA-Z0-9_:]*; the host exports it as is on /metrics.
 * `label_names` is a comma-separated list of label names ("" for none).
 * Defining the same name again with the same kind and labels returns the
 * same id (so two generations of a plugin share the series); a conflicting
 * definition returns INVALID_ARGUMENT. */
typedef tollgate_type_status (*tollgate_callback_metric_define)(tollgate_type_host_ptr host,
                                                                tollgate_type_metric_kind kind,
                                                                tollgate_type_str name,
                                                                tollgate_type_str help,
                                                                tollgate_type_str label_names,
                                                                uint32_t *metric_id_out);

/* Records a value on a metric defined above. `label_values` points to
 * `label_count` strings, one per label name, in the declared order (the
 * host copies them). Callable from any hook or thread. */
typedef tollgate_type_status (*tollgate_callback_metric_record)(tollgate_type_host_ptr host,
                                                                uint32_t metric_id,
                                                                const tollgate_type_str *label_values,
                                                                size_t label_count,
                                                                double value);

/* --- Catalog and money -------------------------------------------------- */

/* The catalog price of a public model name. `price_out->struct_size` must
 * be set by the caller; the host fills the fields that fit. NOT_FOUND for a
 * model not in the catalog. Callable anywhere. */
typedef tollgate_type_status (*tollgate_callback_get_price)(tollgate_type_host_ptr host,
                                                            tollgate_type_str model,
                                                            tollgate_type_price *price_out);

/* The cost in nano-dollars of the given token counts on a model, by the one
 * formula every part of Tollgate uses:
 *   ceil((tokens_in * input + tokens_out * output + tokens_cached * cached)
 *        / 1,000,000)
 * with prices in nano-dollars per million tokens, computed in 128-bit
 * integers. NOT_FOUND for a model not in the catalog; INVALID_ARGUMENT for a
 * negative count or a result that does not fit in int64. */
typedef tollgate_type_status (*tollgate_callback_compute_cost)(tollgate_type_host_ptr host,
                                                               tollgate_type_str model,
                                                               int64_t tokens_in,
                                                               int64_t tokens_out,
                                                               int64_t tokens_cached,
                                                               int64_t *cost_nanos_out);

/* --- Alerts ------------------------------------------------------------- */

/* Raises an alert; the host delivers it to the configured sinks (log,
 * webhook, metric), deduplicated by dedupe_key. Never blocks on delivery.
 * Callable anywhere. */
typedef tollgate_type_status (*tollgate_callback_raise_alert)(tollgate_type_host_ptr host,
                                                              const tollgate_type_alert *alert);

/* --- Call properties ---------------------------------------------------- */

/* Reads a string property (TOLLGATE_PROP_*). The bytes are borrowed until
 * the hook returns. */
typedef tollgate_type_status (*tollgate_callback_get_string)(tollgate_type_call_ptr call,
                                                             tollgate_type_property property,
                                                             tollgate_type_str *value_out);

/* Reads an integer property (TOLLGATE_PROP_*). */
typedef tollgate_type_status (*tollgate_callback_get_int)(tollgate_type_call_ptr call,
                                                          tollgate_type_property property,
                                                          int64_t *value_out);

/* --- The canonical request view (edits: on_pre_call only) ---------------- */

/* Sets the public model name the call will be sent to (routing). The core
 * checks after the pre-call chain that the final model is in the catalog
 * and inside the key's allowed models (403 otherwise), so a plugin cannot
 * route a key out of its scope. Later plugins see the new model. */
typedef tollgate_type_status (*tollgate_callback_set_model)(tollgate_type_call_ptr call,
                                                            tollgate_type_str model);

/* Sets the request's max output tokens (must be > 0). */
typedef tollgate_type_status (*tollgate_callback_set_max_output_tokens)(tollgate_type_call_ptr call,
                                                                        int64_t max_tokens);

/* Number of prompt text segments: every text part of every message, system
 * prompt included, in document order (for Anthropic: `system` first, then
 * messages). Tool results' text is included; images are not. All hooks. */
typedef tollgate_type_status (*tollgate_callback_prompt_segment_count)(tollgate_type_call_ptr call,
                                                                       size_t *count_out);

/* Reads prompt segment `index` (0-based): its text and the role of the
 * message it belongs to ("system", "user", "assistant", "tool"). Both are
 * borrowed until the hook returns; a segment changed by an earlier plugin
 * reads back changed. `role_out` may be NULL (only the text is written);
 * `text_out` may not. NOT_FOUND past the end. All hooks. */
typedef tollgate_type_status (*tollgate_callback_get_prompt_segment)(tollgate_type_call_ptr call,
                                                                     size_t index,
                                                                     tollgate_type_str *text_out,
                                                                     tollgate_type_str *role_out);

/* Replaces the text of prompt segment `index`. on_pre_call only. */
typedef tollgate_type_status (*tollgate_callback_set_prompt_segment)(tollgate_type_call_ptr call,
                                                                     size_t index,
                                                                     tollgate_type_str text);

/* Reads the request body as it will be sent upstream (re-serialised if a
 * plugin changed the view, with the public model name — the core swaps in
 * the upstream model id only when it forwards). Borrowed until the hook
 * returns. All hooks. */
typedef tollgate_type_status (*tollgate_callback_get_body)(tollgate_type_call_ptr call,
                                                           tollgate_type_str *body_out);

/* Replaces the whole request body. It must be a JSON object valid for the
 * call's API; the host parses it again, and model, max tokens, stream flag
 * and prompt segments are read from it afresh. INVALID_ARGUMENT if it does
 * not parse. on_pre_call only. */
typedef tollgate_type_status (*tollgate_callback_set_body)(tollgate_type_call_ptr call,
                                                           tollgate_type_str body);

/* --- Maps (headers, attributes, metadata) ------------------------------ */

/* Number of entries in a map. WRONG_PHASE for a map this hook may not read
 * (TOLLGATE_MAP_UPSTREAM_HEADERS in on_pre_call), as for map_get and
 * map_entry. */
typedef tollgate_type_status (*tollgate_callback_map_count)(tollgate_type_call_ptr call,
                                                            tollgate_type_map map,
                                                            size_t *count_out);

/* The value for `key` (header keys are matched case-insensitively).
 * NOT_FOUND if absent. Borrowed until the hook returns. */
typedef tollgate_type_status (*tollgate_callback_map_get)(tollgate_type_call_ptr call,
                                                          tollgate_type_map map,
                                                          tollgate_type_str key,
                                                          tollgate_type_str *value_out);

/* Entry `index` (0-based, in insertion order). NOT_FOUND past the end.
 * `key_out` and `value_out` may each be NULL (that half is not written). */
typedef tollgate_type_status (*tollgate_callback_map_entry)(tollgate_type_call_ptr call,
                                                            tollgate_type_map map,
                                                            size_t index,
                                                            tollgate_type_str *key_out,
                                                            tollgate_type_str *value_out);

/* Sets `key` to `value`, replacing any value. READ_ONLY for read-only maps;
 * WRONG_PHASE outside the phases the map allows. */
typedef tollgate_type_status (*tollgate_callback_map_set)(tollgate_type_call_ptr call,
                                                          tollgate_type_map map,
                                                          tollgate_type_str key,
                                                          tollgate_type_str value);

/* --- Verdict details ---------------------------------------------------- */

/* Describes the error to send with TOLLGATE_PRE_CALL_REJECT, or the reason
 * for TOLLGATE_CHUNK_ABORT / a *_ERROR verdict. It is the only way to give
 * a reason: without it the client and the operator's log read "no reason
 * given" (see the verdicts). The host renders it in the
 * client's API dialect: OpenAI
 *   {"error":{"message":M,"type":T,"param":null,"code":C}}
 * or Anthropic
 *   {"type":"error","error":{"type":T,"message":M}}.
 * `status` is the HTTP status (400-599) for a reject; it is ignored after
 * the first response byte was sent (an abort then ends the stream with a
 * terminal SSE error event). `code` may be empty. Never put prompt text in
 * the message. on_pre_call and on_chunk. */
typedef tollgate_type_status (*tollgate_callback_set_error)(tollgate_type_call_ptr call,
                                                            uint16_t status,
                                                            tollgate_type_str type,
                                                            tollgate_type_str code,
                                                            tollgate_type_str message);

/* Sets the synthetic response to send with TOLLGATE_PRE_CALL_RESPOND:
 * status, content type and body, sent as they are (the host adds only
 * content-length, x-request-id and TOLLGATE_MAP_RESPONSE_HEADERS).
 * on_pre_call only. */
typedef tollgate_type_status (*tollgate_callback_set_response)(tollgate_type_call_ptr call,
                                                               uint16_t status,
                                                               tollgate_type_str content_type,
                                                               tollgate_type_str body);

/* --- The current response event (on_chunk only) ------------------------ */

/* The generated text carried by the current event (a stream delta, or the
 * whole message text of a non-stream body); "" for events with none.
 * Borrowed until the hook returns; reflects edits by earlier plugins. */
typedef tollgate_type_status (*tollgate_callback_get_chunk_text)(tollgate_type_call_ptr call,
                                                                 tollgate_type_str *text_out);

/* Replaces the generated text of the current event. On an event that
 * carries no text (kind OTHER or END) the host emits a text event with this
 * text just before the current one — that is how a plugin holding text back
 * across chunks flushes it at the end. Return TOLLGATE_CHUNK_REPLACE. */
typedef tollgate_type_status (*tollgate_callback_set_chunk_text)(tollgate_type_call_ptr call,
                                                                 tollgate_type_str text);

/* The raw bytes of the current event: the JSON after "data: " for a stream
 * event ("[DONE]" for the OpenAI end marker), or the whole body of a
 * non-stream response. Borrowed until the hook returns. */
typedef tollgate_type_status (*tollgate_callback_get_chunk_raw)(tollgate_type_call_ptr call,
                                                                tollgate_type_str *raw_out);

/* Replaces the raw bytes of the current event (the host re-frames it as an
 * SSE event for streams). Return TOLLGATE_CHUNK_REPLACE. */
typedef tollgate_type_status (*tollgate_callback_set_chunk_raw)(tollgate_type_call_ptr call,
                                                                tollgate_type_str raw);


/* --- Counter store (added in 1.1) ---------------------------------------
 *
 * The one piece of shared state the host keeps for plugins: named counters
 * with a limit and a window, and an atomic reservation over several
 * counters at once. Counters live in the host, not in the plugin, so they
 * survive a plugin reload (two generations of a plugin see the same
 * numbers) and a restart (spent is persisted), and so a replicated store
 * can replace the embedded one without a plugin changing. Budgets and rate
 * limits are policies over it.
 *
 * Model: each counter has, for its CURRENT window, `spent` (settled
 * amounts) and `reserved` (amounts held by reservations not yet settled or
 * released). A reservation fits when spent + reserved + amount <= limit on
 * every counter it names. Amounts are plain int64 (nano-dollars, tokens,
 * requests: the plugin decides). Reservations of a process that died are
 * void: only spent is persisted.
 */

/* Counter windows: when spent goes back to zero. Calendar windows are UTC. */
typedef int32_t tollgate_type_counter_window;
#define TOLLGATE_WINDOW_NONE 0   /* never resets ("total") */
#define TOLLGATE_WINDOW_DAY 1    /* calendar day */
#define TOLLGATE_WINDOW_WEEK 2   /* ISO week, from Monday 00:00 */
#define TOLLGATE_WINDOW_MONTH 3  /* calendar month */
#define TOLLGATE_WINDOW_MINUTE 4 /* sliding 60 s (rate limits; see docs for its burst bound) */
/* Added in 1.5 (a 1.4 host answers INVALID_ARGUMENT): calendar quarter,
 * from January, April, July and October 1st. */
#define TOLLGATE_WINDOW_QUARTER 5

/* Counter flags. */
/* Spent is persisted and survives a restart (calendar and NONE windows). */
#define TOLLGATE_COUNTER_PERSIST 0x1u

/* What a counter is. The host copies the name. */
typedef struct tollgate_type_counter_spec {
  uint32_t struct_size; /* sizeof(tollgate_type_counter_spec) */
  /* Unique across the process; counters are shared BY NAME between plugin
   * instances and generations, e.g. "budget:team/acme/payments:daily". */
  tollgate_type_str name;
  /* Largest spent + reserved allowed in one window; INT64_MAX for none. */
  int64_t limit;
  tollgate_type_counter_window window;
  uint32_t flags; /* TOLLGATE_COUNTER_* */
} tollgate_type_counter_spec;

/* A counter's numbers, written by the host. */
typedef struct tollgate_type_counter_state {
  uint32_t struct_size; /* set by the CALLER to sizeof(tollgate_type_counter_state) */
  int64_t limit;
  int64_t spent;    /* settled in the current window */
  int64_t reserved; /* held by open reservations */
  /* The current window as Unix seconds; window_end is when spent resets
   * (0 for TOLLGATE_WINDOW_NONE). */
  int64_t window_start;
  int64_t window_end;
  /* After a refused reserve: milliseconds until the refused amount could
   * fit if nothing else changed (the window end for calendar windows); 0
   * when unknown or never. */
  int64_t retry_after_ms;
} tollgate_type_counter_state;

/* Reserve flags. */
/* Reserve even when it does not fit (a policy that lets traffic through at
 * the cap and records the overrun). The status is then OK and
 * *refused_index_out names the first counter that is over its limit. */
#define TOLLGATE_RESERVE_FORCE 0x1u

/* Declares a counter, or finds the existing one of that name, and returns
 * its id (stable for the life of the process). Declaring an existing name
 * again updates its limit, window and flags (a reload that changes a
 * budget); spent and reservations are kept. Callable anywhere; usually
 * from on_create. */
typedef tollgate_type_status (*tollgate_callback_counter_declare)(tollgate_type_host_ptr host,
                                                                  const tollgate_type_counter_spec *spec,
                                                                  uint32_t *counter_id_out);

/* Atomically reserves amounts[i] on counter_ids[i] for every i, or nothing.
 * On success writes *reservation_out (an id for settle/release; never 0)
 * and *refused_index_out = count (no counter refused). When it does not
 * fit: returns TOLLGATE_STATUS_REFUSED, nothing is reserved,
 * *refused_index_out is the index of the first counter that refused and,
 * if refused_state_out is not NULL, that counter's state. With
 * TOLLGATE_RESERVE_FORCE see above. Amounts must be >= 0. Every
 * reservation MUST be settled or released (do it in on_post_call). */
typedef tollgate_type_status (*tollgate_callback_counter_reserve)(tollgate_type_host_ptr host,
                                                                  const uint32_t *counter_ids,
                                                                  const int64_t *amounts,
                                                                  size_t count,
                                                                  uint32_t flags,
                                                                  uint64_t *reservation_out,
                                                                  size_t *refused_index_out,
                                                                  tollgate_type_counter_state *refused_state_out);

/* Settles a reservation: its amounts leave `reserved` and actual_amounts[i]
 * (which may be more or less than reserved, and are >= 0) are added to the
 * spent of the reservation's i-th counter, in the window the reservation
 * was made in. `count` must equal the reservation's. Persisted through the
 * host's group commit. NOT_FOUND for an unknown or already-closed
 * reservation.
 *
 * Which call waits for the commit. settle takes no call handle; the host
 * binds it to the call whose hook is running ON THE CALLING THREAD (the
 * host keeps that call in a thread-local slot for the length of each
 * hook). Called from a hook (on_post_call, normally), on the hook's own
 * thread, the settle delays that call's last response bytes until its
 * spent is committed to disk (see "The hooks of one request"): no client
 * sees a finished response whose spend a crash could lose. Called anywhere
 * else — on_create, on_destroy, on_route, a thread of the plugin's own, or
 * after the hook returned — it binds to no call: it is persisted just the
 * same, and no response waits for it. The same holds for counter_add.
 * (A call handle would add nothing: a hook runs on one thread and hooks
 * are never nested, so the running call is always the one meant, and a
 * call can only wait while its hook runs.) */
typedef tollgate_type_status (*tollgate_callback_counter_settle)(tollgate_type_host_ptr host,
                                                                 uint64_t reservation,
                                                                 const int64_t *actual_amounts,
                                                                 size_t count);

/* Releases a reservation: its amounts leave `reserved`, nothing is spent. */
typedef tollgate_type_status (*tollgate_callback_counter_release)(tollgate_type_host_ptr host,
                                                                  uint64_t reservation);

/* Adds `amount` (>= 0) to a counter's spent in the current window without
 * a reservation and without a limit check (observe-only policies,
 * corrections). A persisted add from a hook makes that hook's call wait
 * for the commit, as counter_settle does (same thread-local binding). */
typedef tollgate_type_status (*tollgate_callback_counter_add)(tollgate_type_host_ptr host,
                                                              uint32_t counter_id,
                                                              int64_t amount);

/* Reads a counter's state. */
typedef tollgate_type_status (*tollgate_callback_counter_get)(tollgate_type_host_ptr host,
                                                              uint32_t counter_id,
                                                              tollgate_type_counter_state *state_out);

/* --- Host properties, fallbacks and deployments (added in 1.2) ---------- */

/* Properties of the host and of the plugin instance (not of a call), read
 * with tollgate_callback_get_host_string. The bytes stay valid until
 * on_destroy returns. */
typedef int32_t tollgate_type_host_property;
/* Absolute path of the configured storage directory (storage.dir). The
 * host creates it; plugins keep their files (SQLite ledgers, history)
 * under it, in a file or folder named after their instance. */
#define TOLLGATE_HOST_PROP_STORAGE_DIR 1
/* The instance name from the config (`id`, else the plugin name). */
#define TOLLGATE_HOST_PROP_INSTANCE_NAME 2
/* The gateway's version, e.g. "0.1.0". */
#define TOLLGATE_HOST_PROP_HOST_VERSION 3
/* Absolute path of the config file the instance was created from. */
#define TOLLGATE_HOST_PROP_CONFIG_PATH 4

typedef tollgate_type_status (*tollgate_callback_get_host_string)(tollgate_type_host_ptr host,
                                                                  tollgate_type_host_property property,
                                                                  tollgate_type_str *value_out);

/* Sets the ordered list of public models the core tries next if the call
 * to the current model fails BEFORE the first response byte reached the
 * client (429, 5xx, connect error, timeout). Each attempt is a separate
 * upstream call; budgets and the ledger see the model that served. Every
 * model must be in the catalog and inside the key's allowed models, checked
 * like the model itself after the pre-call chain (403 otherwise). Replaces
 * any earlier list; count 0 clears it. At most 8 entries. on_pre_call
 * only. */
typedef tollgate_type_status (*tollgate_callback_set_fallback_models)(tollgate_type_call_ptr call,
                                                                      const tollgate_type_str *models,
                                                                      size_t count);

/* Pins the deployment (one of the current model's `deployments` in the
 * catalog) the first attempt goes to. Without it the core picks among the
 * model's healthy deployments by weight. NOT_FOUND for a name the current
 * model does not have. Cleared when the model changes. on_pre_call only. */
typedef tollgate_type_status (*tollgate_callback_set_deployment)(tollgate_type_call_ptr call,
                                                                 tollgate_type_str deployment);

/* --- Metric series (added in 1.3) -------------------------------------- */

/* Resolves one series of a metric defined with metric_define (its label
 * values, one per label name in the declared order; the host copies them)
 * to a handle, so that hooks record on it with metric_series_record and no
 * label strings. Resolve a fixed set of series in on_create, or each one on
 * first use. The same metric and label values always give the same handle,
 * valid for the life of the process (so two generations of a plugin share
 * it). Handles are never 0. Callable anywhere. */
typedef tollgate_type_status (*tollgate_callback_metric_series)(tollgate_type_host_ptr host,
                                                                uint32_t metric_id,
                                                                const tollgate_type_str *label_values,
                                                                size_t label_count,
                                                                uint64_t *series_out);

/* Records a value on a series from metric_series, like metric_record:
 * added for a counter (must be >= 0), set for a gauge, observed for a
 * histogram. INVALID_ARGUMENT for an unknown handle or a NaN. Callable from
 * any hook or thread. */
typedef tollgate_type_status (*tollgate_callback_metric_series_record)(tollgate_type_host_ptr host,
                                                                       uint64_t series,
                                                                       double value);

/* --- Plugin routes (added in 1.4) --------------------------------------
 *
 * A plugin may answer HTTP requests under /admin/ (an allocation view, its
 * own admin page): it declares each route in on_create with the role a
 * caller needs, and implements on_route (in the descriptor). The core
 * authenticates the caller for that role — with the same answers as its
 * own admin routes (401 authentication_error for a missing or wrong key,
 * 403 permission_error when admin is disabled) — and only then hands the
 * plugin the request. The plugin never sees credentials.
 *
 * Routes are exact: one method and one path, no patterns (read the query
 * string for parameters). Two plugins of a generation that declare the
 * same method and path make the configuration invalid (check-config and a
 * reload say which two); the core's own admin routes (/admin/reload,
 * /admin/plugins, /admin/counters) cannot be declared.
 */

/* Opaque handle to one request on a plugin route. Valid only during the
 * on_route it was passed to, on that thread. Owned by the host. */
typedef struct tollgate_type_route *tollgate_type_route_ptr;

/* Who may call a route: the role the core authenticates the caller for.
 * Only ADMIN exists today; values for later roles (approver, team-admin,
 * viewer, a virtual key on its own data) will be added with new numbers. */
typedef int32_t tollgate_type_route_role;
/* The gateway's master key (server.master_key_env). */
#define TOLLGATE_ROUTE_ROLE_ADMIN 1
/* Added in 1.5: anyone who may READ governance data: the master key, a
 * viewer credential, or a team-admin credential (see the `credentials:`
 * section of docs/config.md). The plugin reads who called with
 * TOLLGATE_ROUTE_PROP_CALLER_ROLE / _CALLER_SCOPE and shows each caller
 * only its scope. */
#define TOLLGATE_ROUTE_ROLE_READER 2

/* Properties of a route request, read with route_get_string. Borrowed
 * until on_route returns. */
typedef int32_t tollgate_type_route_property;
/* The method, upper case: "GET", "POST", "PUT", "PATCH" or "DELETE". */
#define TOLLGATE_ROUTE_PROP_METHOD 1
/* The path, without the query string, e.g. "/admin/budgets". */
#define TOLLGATE_ROUTE_PROP_PATH 2
/* The raw query string after '?', not decoded ("" when there is none). */
#define TOLLGATE_ROUTE_PROP_QUERY 3
/* The request body as received (any bytes; "" when there is none). */
#define TOLLGATE_ROUTE_PROP_BODY 4
/* Added in 1.5. The role the caller authenticated as: "admin" (the master
 * key), "viewer" or "team_admin". */
#define TOLLGATE_ROUTE_PROP_CALLER_ROLE 5
/* Added in 1.5. What the caller may see: "" for the master key and an
 * org-wide viewer of every org, else a scope such as "org/acme" or
 * "team/acme/recs". */
#define TOLLGATE_ROUTE_PROP_CALLER_SCOPE 6

/* Declares a route this instance serves: `method` one of GET, POST, PUT,
 * PATCH, DELETE; `path` "/admin/" followed by segments of letters, digits
 * and "-._~" separated by "/" (no empty segment, no trailing "/", no query);
 * `role` a TOLLGATE_ROUTE_ROLE_*. The host copies the strings. on_create
 * only (WRONG_PHASE elsewhere). INVALID_ARGUMENT for a malformed method,
 * path or role; REFUSED for one of the core's admin paths, a route this
 * instance already declared, or a plugin whose descriptor has no
 * on_route. */
typedef tollgate_type_status (*tollgate_callback_declare_route)(tollgate_type_host_ptr host,
                                                                tollgate_type_str method,
                                                                tollgate_type_str path,
                                                                tollgate_type_route_role role);

/* Reads a property of the route request (TOLLGATE_ROUTE_PROP_*). on_route
 * only. INVALID_ARGUMENT for an unknown property. */
typedef tollgate_type_status (*tollgate_callback_route_get_string)(tollgate_type_route_ptr route,
                                                                   tollgate_type_route_property property,
                                                                   tollgate_type_str *value_out);

/* Sets the answer to the route request: status (200-599), content type
 * ("" means "application/json"; must be a valid header value) and body,
 * sent as they are with a content-length. The host copies them; a second
 * call replaces the first. on_route only. */
typedef tollgate_type_status (*tollgate_callback_route_respond)(tollgate_type_route_ptr route,
                                                                uint16_t status,
                                                                tollgate_type_str content_type,
                                                                tollgate_type_str body);

/* --- Grants (added in 1.5) ----------------------------------------------
 *
 * A grant is an allocation: an owner, a scope (org, team, or below a team a
 * feature, environment, experiment, tag value or key), a class, an amount
 * per period, an optional TPM/RPM share, a renewal date. Grants are core
 * data, next to keys: the committee's are declared in the YAML, delegated
 * ones are minted at run time by team admins. The core says which grants a
 * request is on; plugins decide what to do about it (the budget plugin
 * reserves money on them, the ratelimit plugin their TPM/RPM share).
 *
 * The table is a JSON document the core rebuilds whenever a grant is
 * minted, changed or revoked, or the config is reloaded; each rebuild has
 * a new `version` (increasing). Its shape (docs/plugins.md has every
 * field):
 *   {"version": 7, "grants": [{"id": "recs", "parent": "acme" | null,
 *     "scope": "team/acme/recs", "level": "team", "owner": "...",
 *     "class": "production" | "experimentation" | "both",
 *     "buckets": [{"name": "production", "classes": ["production"],
 *                  "amount_nanos": 40000000000000}, ...],
 *     "period": "monthly", "window": 3, "tpm": 200000 | null, "rpm": null,
 *     "renews_at": 1782864000 | null, "review_at": ... | null,
 *     "on_expiry": "refuse" | "grace", "grace_until": ... | null,
 *     "production_at_cap": "open" | "refuse",
 *     "tiers": {"warn": 80, "amber": 110, "hard": 150},
 *     "status": "active" | "revoked", "source": "config" | "minted",
 *     "raises": [{"id": "exc-0001", "kind": "exception" | "burst",
 *                 "bucket": "production" | "experimentation" | "all",
 *                 "amount_nanos": 5000000000000, "starts_at": 1782864000,
 *                 "ends_at": 1783468800,
 *                 "counter": "exception-spent:exc-0001"}], ...}]}
 * Times are Unix seconds. A request is charged on a grant's bucket whose
 * `classes` include the request's key class. `raises` are approved
 * exceptions and burst draws: each raises its bucket's limit by
 * amount_nanos while starts_at <= now < ends_at and lapses by itself after
 * (the document may list a lapsed raise until its next version: compare
 * the times). `counter` is where a plugin adds what was spent under the
 * raise (the core shows it as the exception's spent_under). */

/* The grant table now. *json_out is borrowed until on_destroy returns (the
 * host keeps every version it handed to the instance). Callable anywhere. */
typedef tollgate_type_status (*tollgate_callback_grants_get)(tollgate_type_host_ptr host,
                                                            uint64_t *version_out,
                                                            tollgate_type_str *json_out);

/* The grants on the call's path, root first: every grant whose scope
 * covers the call (its org, team, key, and the `feature`, `environment`,
 * `experiment` and tag ATTRIBUTES as they are when this is called — run
 * after the plugin that sets them) and whose class admits the call's key
 * class, the grant the key was minted in, and all their ancestors. Written
 * as indices into the `grants` array of the table of *version_out (fetch
 * it with grants_get when the version is not the one the plugin has). At
 * most `capacity` indices are written; *count_out is the full count (call
 * again with more room when it is larger). All hooks. */
typedef tollgate_type_status (*tollgate_callback_call_grants)(tollgate_type_call_ptr call,
                                                             uint64_t *version_out,
                                                             uint32_t *indices_out,
                                                             size_t capacity,
                                                             size_t *count_out);

/* counter_reserve with a ceiling per item: ceilings[i] takes the place of
 * counter i's limit for this reservation only (INT64_MAX for none), so one
 * counter can admit different callers up to different points (a grant's
 * production traffic to its hard tier, experimentation to 100%; a limit
 * raised by an approved exception). Everything else is counter_reserve's:
 * all or nothing, FORCE, the refused index and state (whose `limit` is the
 * counter's own). */
typedef tollgate_type_status (*tollgate_callback_counter_reserve_capped)(tollgate_type_host_ptr host,
                                                                        const uint32_t *counter_ids,
                                                                        const int64_t *amounts,
                                                                        const int64_t *ceilings,
                                                                        size_t count,
                                                                        uint32_t flags,
                                                                        uint64_t *reservation_out,
                                                                        size_t *refused_index_out,
                                                                        tollgate_type_counter_state *refused_state_out);

/* --- The chargeback ledger (added in 1.6) -------------------------------
 *
 * The ledger is host storage, like the counter store: a plugin hands the
 * host rows and the host keeps them — in a SQLite file (storage.backend
 * sqlite), or in that file as a durable outbox shipped to the shared
 * PostgreSQL database (storage.backend postgres) — so a plugin never links
 * a database client and runs unchanged on either backend.
 *
 * A row is a JSON OBJECT whose keys are the ledger's column names (the
 * schema is docs/ledger.md; the host assigns `id`). The shape is JSON, not
 * a struct, for the reason the grant table is: a column added to the
 * ledger is a new key, not a new ABI version. Keys and their JSON types:
 *   integers:  ts_us (required), tokens_in, tokens_out, tokens_cached,
 *              cost_nanos, status, latency_us, upstream_us, attempts;
 *              usage_estimated and stream also take true/false
 *   strings:   request_id (required), outcome (required), org, team,
 *              key_id, owner, key_class, end_user, feature, environment,
 *              experiment, use_case, api, route, provider, deployment,
 *              model_requested, model_served, decided_by, outcome_detail,
 *              grant_owner (each of these but the required ones may be
 *              null)
 *   tags:          an object of strings ({"cost_center": "cc-42"})
 *   grant_ids, exception_ids: arrays of strings, root grant first
 * A key left out takes the column's default (NULL, 0, {} or []). */

/* Appends one ledger row (row_json, see above; the host copies it). The
 * host validates it — a row that is not a JSON object, an unknown key, a
 * value of the wrong type or a missing required key is INVALID_ARGUMENT,
 * and the host logs which — then queues it for the ledger's writer (group
 * commit) and returns without waiting on I/O. UNAVAILABLE when the gateway
 * keeps no ledger (the config turns it off) or it is closed (shutting
 * down); the row is then not written. Callable anywhere; on_post_call is
 * where a row is complete. Called from a hook on the hook's own thread,
 * the row binds to that call as counter_settle does: the call's last
 * response bytes wait until the row is committed to disk. */
typedef tollgate_type_status (*tollgate_callback_ledger_append)(tollgate_type_host_ptr host,
                                                                tollgate_type_str row_json);

/* Makes every row appended so far (by any plugin, and on a shared backend
 * by every gateway up to a few hundred milliseconds ago) readable, and
 * writes to *path_out the path of a SQLite file in the ledger's schema that
 * the plugin may open READ-ONLY (the ledger file itself on SQLite; on
 * PostgreSQL a local read copy the host keeps in sync). *path_out is
 * borrowed until this instance's next ledger_read or on_destroy. Blocks
 * while it commits (and on PostgreSQL ships and syncs, within a few
 * seconds): call it from on_route or a thread of your own, not from a call
 * hook. UNAVAILABLE when there is no ledger, or the shared database did not
 * answer in time. Callable anywhere. */
typedef tollgate_type_status (*tollgate_callback_ledger_read)(tollgate_type_host_ptr host,
                                                              tollgate_type_str *path_out);

typedef struct tollgate_type_host_api {
  uint32_t struct_size; /* sizeof(tollgate_type_host_api) in the host */
  uint16_t abi_major;   /* the host's ABI version */
  uint16_t abi_minor;

  /* ---- added in 1.0 ---- */
  tollgate_callback_log log;
  tollgate_callback_metric_define metric_define;
  tollgate_callback_metric_record metric_record;
  tollgate_callback_get_price get_price;
  tollgate_callback_compute_cost compute_cost;
  tollgate_callback_raise_alert raise_alert;
  tollgate_callback_get_string get_string;
  tollgate_callback_get_int get_int;
  tollgate_callback_set_model set_model;
  tollgate_callback_set_max_output_tokens set_max_output_tokens;
  tollgate_callback_prompt_segment_count prompt_segment_count;
  tollgate_callback_get_prompt_segment get_prompt_segment;
  tollgate_callback_set_prompt_segment set_prompt_segment;
  tollgate_callback_get_body get_body;
  tollgate_callback_set_body set_body;
  tollgate_callback_map_count map_count;
  tollgate_callback_map_get map_get;
  tollgate_callback_map_entry map_entry;
  tollgate_callback_map_set map_set;
  tollgate_callback_set_error set_error;
  tollgate_callback_set_response set_response;
  tollgate_callback_get_chunk_text get_chunk_text;
  tollgate_callback_set_chunk_text set_chunk_text;
  tollgate_callback_get_chunk_raw get_chunk_raw;
  tollgate_callback_set_chunk_raw set_chunk_raw;

  /* ---- added in 1.1 ---- */
  tollgate_callback_counter_declare counter_declare;
  tollgate_callback_counter_reserve counter_reserve;
  tollgate_callback_counter_settle counter_settle;
  tollgate_callback_counter_release counter_release;
  tollgate_callback_counter_add counter_add;
  tollgate_callback_counter_get counter_get;

  /* ---- added in 1.2 ---- */
  tollgate_callback_get_host_string get_host_string;
  tollgate_callback_set_fallback_models set_fallback_models;
  tollgate_callback_set_deployment set_deployment;

  /* ---- added in 1.3 ---- */
  tollgate_callback_metric_series metric_series;
  tollgate_callback_metric_series_record metric_series_record;

  /* ---- added in 1.4 ---- */
  tollgate_callback_declare_route declare_route;
  tollgate_callback_route_get_string route_get_string;
  tollgate_callback_route_respond route_respond;

  /* ---- added in 1.5 ---- */
  tollgate_callback_grants_get grants_get;
  tollgate_callback_call_grants call_grants;
  tollgate_callback_counter_reserve_capped counter_reserve_capped;

  /* ---- added in 1.6 ---- */
  tollgate_callback_ledger_append ledger_append;
  tollgate_callback_ledger_read ledger_read;
} tollgate_type_host_api;

/* ========================================================================
 * Verdicts
 * ======================================================================== */

/* Returned by on_pre_call. */
typedef int32_t tollgate_type_pre_call_verdict;
/* Go on with the next plugin, then forward the request. */
#define TOLLGATE_PRE_CALL_CONTINUE 0
/* Refuse the call with the error set by set_error, which supplies the
 * status, type and message the client gets and the reason the ledger
 * records. Without set_error the client gets a 500 "plugin_error"
 * ("rejected the request without a reason") and the host logs a warning
 * naming the plugin. Later plugins do not run; this plugin and earlier
 * ones get on_post_call. */
#define TOLLGATE_PRE_CALL_REJECT 1
/* Answer the call with the response set by set_response, without calling
 * the upstream (without set_response: a 500 "plugin_error", logged). Later
 * plugins do not run; this plugin and earlier ones get on_post_call. */
#define TOLLGATE_PRE_CALL_RESPOND 2
/* The plugin failed. The host applies the plugin's fail policy: fail-closed
 * rejects the call (503, type "plugin_error"); fail-open logs, counts, and
 * continues as if the plugin had returned CONTINUE. The reason logged (and
 * sent, fail-closed) is set_error's message; without it, "no reason
 * given". The plugin still gets on_chunk (fail-open) and on_post_call. */
#define TOLLGATE_PRE_CALL_ERROR 3

/* Returned by on_chunk. */
typedef int32_t tollgate_type_chunk_verdict;
/* Pass the event on (to the next plugin, then the client). */
#define TOLLGATE_CHUNK_CONTINUE 0
/* The plugin changed the event with set_chunk_text or set_chunk_raw. */
#define TOLLGATE_CHUNK_REPLACE 1
/* Swallow the event: later plugins and the client do not see it. Usage in
 * the event is still counted by the host. */
#define TOLLGATE_CHUNK_DROP 2
/* End the response now with the error from set_error (without it, a 500
 * "plugin_error" with no reason, and a warning in the log): before the
 * first byte, a normal error response; after it, a terminal SSE error
 * event. The upstream transfer is cancelled. */
#define TOLLGATE_CHUNK_ABORT 3
/* The plugin failed; fail-closed aborts, fail-open continues. The reason
 * logged is set_error's message, if the plugin set one. */
#define TOLLGATE_CHUNK_ERROR 4

/* ========================================================================
 * Hooks the plugin implements
 * ======================================================================== */

/* Creates an instance. `api` and `host` stay valid until on_destroy
 * returns. `config_json` is the instance's `config:` block from the YAML,
 * as a JSON value ("{}" when the entry has no `config:` or an empty one),
 * borrowed until return. On success
 * store the instance in *instance_out and return TOLLGATE_STATUS_OK. On
 * failure return any other status and write a one-line reason with
 * `error_out` (host-owned buffer of `error_capacity` bytes; the plugin
 * writes at most that many bytes and stores the length in *error_len_out).
 * Runs on the control thread. Required. */
typedef tollgate_type_status (*tollgate_on_create)(const tollgate_type_host_api *api,
                                                   tollgate_type_host_ptr host,
                                                   tollgate_type_str config_json,
                                                   tollgate_type_instance_plugin_ptr *instance_out,
                                                   char *error_out,
                                                   size_t error_capacity,
                                                   size_t *error_len_out);

/* Destroys an instance; free everything it owns. Runs on the control
 * thread after the last hook of the instance returned. Required. */
typedef void (*tollgate_on_destroy)(tollgate_type_instance_plugin_ptr instance);

/* Before the call is forwarded. May store per-request state in
 * *call_state. Optional (NULL). */
typedef tollgate_type_pre_call_verdict (*tollgate_on_pre_call)(
    tollgate_type_instance_plugin_ptr instance, tollgate_type_call_ptr call,
    tollgate_type_call_state_plugin_ptr *call_state);

/* For each response event (see TOLLGATE_PROP_CHUNK_KIND). Optional (NULL):
 * when no plugin of a generation has on_chunk, the host does not parse
 * response events beyond what it needs for usage. */
typedef tollgate_type_chunk_verdict (*tollgate_on_chunk)(
    tollgate_type_instance_plugin_ptr instance, tollgate_type_call_ptr call,
    tollgate_type_call_state_plugin_ptr call_state);

/* After the outcome is known; exactly once per request the plugin entered
 * (also when this plugin itself rejected, responded or failed). Normally
 * before the response's last bytes are written; after a client disconnect,
 * once the socket closed (see "The hooks of one request"). Usage, cost and
 * outcome properties are readable here. Free call_state here. A status
 * other than OK is only logged, by name, and counted as an error.
 * Optional (NULL). */
typedef tollgate_type_status (*tollgate_on_post_call)(
    tollgate_type_instance_plugin_ptr instance, tollgate_type_call_ptr call,
    tollgate_type_call_state_plugin_ptr call_state);

/* Answers a request on a route the instance declared (added in 1.4): read
 * it with route_get_string, answer with route_respond, return OK. The core
 * has already authenticated the caller for the route's role. Returning
 * anything but OK, or OK without route_respond, answers 500
 * "plugin_error" and logs a warning naming the plugin. Runs on one of the
 * gateway's I/O threads, concurrently with hooks and other routes, with the
 * instance's generation pinned (on_destroy never overlaps it): answer
 * promptly, as from a hook. Optional (NULL, or absent from a descriptor
 * whose struct_size ends before it); a plugin that declares a route must
 * set it. */
typedef tollgate_type_status (*tollgate_on_route)(tollgate_type_instance_plugin_ptr instance,
                                                  tollgate_type_route_ptr route);

/* ========================================================================
 * The descriptor
 * ======================================================================== */

/* Descriptor flags. */
/* Default fail policy when the YAML does not say: fail closed (reject the
 * call when the plugin errors). Without it the default is fail-open. */
#define TOLLGATE_PLUGIN_FLAG_FAIL_CLOSED 0x1u
/* The library may be dlclose'd once all its instances are destroyed. Only
 * for plain C libraries with no language runtime that registers global
 * state (Swift plugins must NOT set it: the Swift runtime keeps pointers
 * into the image). Without it the host opens the library with
 * RTLD_NODELETE and never closes it. */
#define TOLLGATE_PLUGIN_FLAG_UNLOAD_SAFE 0x2u

/* Returned by the entry function. Must live in static storage: the host
 * reads it for as long as the library is loaded. */
typedef struct tollgate_type_plugin_descriptor {
  uint32_t struct_size; /* sizeof(tollgate_type_plugin_descriptor) */
  uint16_t abi_major;   /* TOLLGATE_ABI_MAJOR the plugin was built with */
  uint16_t abi_minor;   /* the lowest host minor the plugin needs */
  tollgate_type_str name;    /* e.g. TOLLGATE_STR("budget"); static */
  tollgate_type_str version; /* the plugin's own version; static */
  uint32_t flags;            /* TOLLGATE_PLUGIN_FLAG_* */
  tollgate_on_create on_create;       /* required */
  tollgate_on_destroy on_destroy;     /* required */
  tollgate_on_pre_call on_pre_call;   /* optional */
  tollgate_on_chunk on_chunk;         /* optional */
  tollgate_on_post_call on_post_call; /* optional */
  /* ---- added in 1.4 (the host reads it only when struct_size covers it:
   * check with TOLLGATE_HAS_FIELD) ---- */
  tollgate_on_route on_route; /* optional */
} tollgate_type_plugin_descriptor;

/* The entry function's type. A plugin exports it as
 *   const tollgate_type_plugin_descriptor *
 *   tollgate_plugin_entry_v1(uint16_t host_abi_major, uint16_t host_abi_minor);
 * It may be called more than once and must return the same descriptor. */
typedef const tollgate_type_plugin_descriptor *(*tollgate_type_plugin_entry_v1)(
    uint16_t host_abi_major, uint16_t host_abi_minor);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TOLLGATE_PLUGIN_H */
