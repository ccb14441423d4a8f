/// The dashboard's script (GET /dashboard/assets/dashboard.js): plain
/// JavaScript, no framework, no build step. Every figure it shows is read
/// from the admin API with fetch, authenticated by the session cookie; a
/// change sends the session's CSRF token in x-csrf-token. Text from the
/// server is only ever set as textContent, never parsed as HTML.
enum DashboardScript {
    /// The whole script, as served: the shell (helpers, sign-in, view
    /// switching, start-up) around the views, one file each.
    static let source = [shell, allocationViews, exceptionsView, spendView, chargebackView, alertsAndMyKeyViews, start].joined(separator: "\n")

    /// Helpers, badges and bars, sign-in, the view registry.
    static let shell = #"""
"use strict";
(function () {
  const state = { session: null, view: "allocation", timer: null, loading: {}, rendered: {} };
  const $ = (id) => document.getElementById(id);

  // --- small helpers ------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /// Nano-dollars as the gateway writes money: "$1.50", "$0.000123".
  function money(nanos) {
    const negative = nanos < 0;
    const n = Math.abs(Math.round(nanos));
    const dollars = Math.floor(n / 1e9);
    const rest = n % 1e9;
    let fraction = String(rest).padStart(9, "0");
    fraction = rest % 1e7 === 0 ? fraction.slice(0, 2) : fraction.replace(/0+$/, "");
    return (negative ? "-$" : "$") + dollars + "." + fraction;
  }

  /// "2026-12-31T00:00:00Z" -> "2026-12-31 00:00".
  function when(text) {
    if (!text) return "—";
    return String(text).replace("T", " ").replace(/:00Z$/, "").replace(/Z$/, "");
  }

  const ROLE_NAMES = { admin: "master key", team_admin: "team admin", approver: "approver", viewer: "viewer", key_holder: "virtual key" };
  const role = () => (state.session ? state.session.role : null);
  const isKeyHolder = () => role() === "key_holder";
  const isMaster = () => role() === "admin";
  const canDecide = () => isMaster() || role() === "approver";
  const canRequest = () => isMaster() || role() === "team_admin";

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  /// One admin or session call. Errors carry the gateway's own message.
  async function api(method, path, body) {
    const headers = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (method !== "GET" && state.session) headers["x-csrf-token"] = state.session.csrf_token;
    let response;
    try {
      response = await fetch(path, {
        method, headers, credentials: "same-origin", cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, "network", "The gateway did not answer (" + error.message + ").");
    }
    if (response.status === 204) return null;
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (error) { data = null; }
    if (!response.ok) {
      const detail = (data && data.error) || {};
      const error = new ApiError(response.status, detail.code || "", detail.message || ("HTTP " + response.status + " from " + path));
      if (response.status === 401 && detail.code === "invalid_session" && state.session) sessionEnded();
      throw error;
    }
    return data;
  }

  function setText(id, text) {
    const node = $(id);
    if (node) node.textContent = text || "";
  }

  /// Runs a view's load; its error goes to the view's alert line.
  async function guarded(view, work) {
    if (state.loading[view]) return;
    state.loading[view] = true;
    try {
      await work();
      setText(view + "-error", "");
      markComplete(view);
    } catch (error) {
      if (state.session) setText(view + "-error", error.message);
    } finally {
      state.loading[view] = false;
    }
  }

  /// Performance marks, once per page load, read by bench/dashboard-first-paint:
  /// "tollgate:VIEW" when a view's first figures are on the page (its table or
  /// charts filled), "tollgate:first-view" with the first of them (the first
  /// meaningful paint), "tollgate:VIEW:complete" when all of its parts are.
  function markRendered(view) {
    if (state.rendered[view] || !window.performance || !performance.mark) return;
    state.rendered[view] = true;
    if (!state.rendered["first-view"]) {
      state.rendered["first-view"] = true;
      performance.mark("tollgate:first-view", { detail: view });
    }
    performance.mark("tollgate:" + view);
  }

  function markComplete(view) {
    markRendered(view);
    if (state.rendered[view + ":complete"] || !window.performance || !performance.mark) return;
    state.rendered[view + ":complete"] = true;
    performance.mark("tollgate:" + view + ":complete");
  }

  function badge(kind, label, symbol) {
    return el("span", { class: "badge " + kind }, el("span", { class: "symbol", "aria-hidden": "true" }, symbol), " " + label);
  }

  // --- tiers, statuses, bars ----------------------------------------------

  // Colour AND words: the label alone says it all. The tiers are
  // docs/governance.md's: warn (80%), at cap (100%), amber (production
  // past its amount, 110%), hard stop (150%).
  const TIERS = {
    ok: ["green", "OK", "●"],
    warn: ["amber", "Warn", "▲"],
    cap: ["red", "At cap", "■"],
    amber: ["red", "Amber", "■"],
    hard: ["red", "Hard stop", "■"],
  };
  function tierBadge(tier) {
    const [colour, label, symbol] = TIERS[tier] || ["grey", tier, "?"];
    return badge("tier-" + colour, label, symbol);
  }

  const STATUSES = {
    active: ["green", "●"], approved: ["green", "●"], pending: ["amber", "▲"], grace: ["amber", "▲"],
    denied: ["red", "■"], revoked: ["red", "■"], expired: ["grey", "○"], lapsed: ["grey", "○"],
  };
  function statusBadge(status) {
    const [colour, symbol] = STATUSES[status] || ["grey", "○"];
    return badge("tier-" + colour, status, symbol);
  }

  const SEVERITIES = { info: ["blue", "●"], warning: ["amber", "▲"], critical: ["red", "■"] };
  function severityBadge(severity) {
    const [colour, symbol] = SEVERITIES[severity] || ["grey", "○"];
    return badge("tier-" + colour, severity, symbol);
  }

  /// A bucket's bar: spent, in flight, remaining; a tick at the amount
  /// once spent and in flight pass it. The words under it carry the figures.
  function burnBar(bucket) {
    const amount = bucket.amount_nanos, spent = bucket.spent_nanos, flight = bucket.reserved_nanos;
    const left = bucket.remaining_nanos;
    const scale = Math.max(amount, spent + flight, 1);
    const width = (value) => (100 * Math.max(0, value) / scale).toFixed(3) + "%";
    const bar = el("div", { class: "bar", "aria-hidden": "true" });
    for (const [name, value] of [["spent", spent], ["flight", flight], ["left", left]]) {
      const segment = el("span", { class: "seg " + name });
      segment.style.width = width(value);
      bar.append(segment);
    }
    if (spent + flight > amount && amount > 0) {
      const tick = el("span", { class: "limit" });
      tick.style.left = width(amount);
      bar.append(tick);
    }
    return el("div", { class: "burn" }, bar,
      el("div", { class: "legend" }, el("span", {}, bucket.spent + " spent"), " · ", el("span", {}, bucket.in_flight + " in flight"), " · ",
        el("span", {}, bucket.remaining + " left", el("span", { class: "pct" }, " (" + bucket.used_percent + "% used)"))));
  }

  // --- sign-in ------------------------------------------------------------

  function stopPolling() {
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
  }

  function showSignIn(message) {
    stopPolling();
    state.session = null;
    $("app").hidden = true;
    $("who").hidden = true;
    $("sign-out").hidden = true;
    $("sign-in").hidden = false;
    setText("sign-in-error", message || "");
    $("credential").value = "";
    $("credential").focus();
  }

  function sessionEnded() {
    showSignIn("Your session ended (it expired, was signed out, or the gateway restarted): sign in again.");
  }

  function showApp(session) {
    state.session = session;
    document.body.dataset.role = session.role;
    const name = session.role === "admin" ? "the master key"
      : session.role === "key_holder" ? "key " + session.id + " (" + ROLE_NAMES[session.role] + ", " + session.class + ")"
      : session.id + " (" + ROLE_NAMES[session.role] + ", " + session.scope + ")";
    $("who").textContent = "Signed in with " + name + " · session until " + when(session.expires) + " UTC";
    $("who").hidden = false;
    $("sign-out").hidden = false;
    $("sign-in").hidden = true;
    $("app").hidden = false;
    $("request-forms").hidden = !canRequest();
    $("forecast-form").hidden = !canRequest();
    // A key holder sees its own view only; everyone else every view but it.
    for (const button of document.querySelectorAll("[data-view]")) {
      button.closest("li").hidden = isKeyHolder() ? button.dataset.view !== "mykey" : button.dataset.view === "mykey";
    }
    const wanted = location.hash.slice(1);
    if (isKeyHolder()) selectView("mykey");
    else selectView(VIEWS[wanted] && wanted !== "mykey" ? wanted : (state.view === "mykey" ? "allocation" : state.view));
  }

  async function signIn(event) {
    event.preventDefault();
    const credential = $("credential").value;
    setText("sign-in-error", "");
    try {
      const session = await api("POST", "/dashboard/session", { credential });
      $("credential").value = "";
      showApp(session);
    } catch (error) {
      setText("sign-in-error", error.message);
      $("credential").focus();
    }
  }

  async function signOut() {
    try { await api("DELETE", "/dashboard/session"); } catch (error) { /* signed out either way */ }
    showSignIn("Signed out.");
  }

  // --- views ----------------------------------------------------------------

  const VIEWS = {
    allocation: { load: loadAllocation },
    inflight: { load: loadInFlight, every: 3000 },
    exceptions: { load: loadExceptions },
    spend: { load: loadSpend },
    chargeback: { load: loadChargeback },
    alerts: { load: loadAlerts, every: 15000 },
    mykey: { load: loadMyKey },
  };

  function selectView(name) {
    stopPolling();
    state.view = name;
    for (const button of document.querySelectorAll("[data-view]")) {
      if (button.dataset.view === name) button.setAttribute("aria-current", "page");
      else button.removeAttribute("aria-current");
    }
    for (const panel of document.querySelectorAll("[data-panel]")) panel.hidden = panel.dataset.panel !== name;
    if (location.hash !== "#" + name) history.replaceState(null, "", "#" + name);
    const view = VIEWS[name];
    view.load();
    if (view.every) {
      state.timer = setInterval(() => { if (!document.hidden && state.session) view.load(); }, view.every);
    }
  }
"""#

    /// Wiring and start-up; closes the function the shell opened.
    static let start = #"""
  // --- start --------------------------------------------------------------------

  async function start() {
    $("sign-in-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", signOut);
    for (const button of document.querySelectorAll("[data-view]")) button.addEventListener("click", () => selectView(button.dataset.view));
    for (const button of document.querySelectorAll("[data-refresh]")) button.addEventListener("click", () => VIEWS[button.dataset.refresh].load());
    for (const form of [$("request-form"), $("burst-form")]) form.addEventListener("submit", submitRaise);
    $("spend-controls").addEventListener("change", () => loadSpend());
    $("spend-controls").addEventListener("submit", (event) => { event.preventDefault(); loadSpend(); });
    $("chargeback-controls").addEventListener("change", () => loadChargeback());
    $("chargeback-controls").addEventListener("submit", (event) => { event.preventDefault(); loadChargeback(); });
    $("forecast-form").addEventListener("submit", submitForecast);
    for (const select of document.querySelectorAll("[data-grant-select]")) select.addEventListener("change", () => fillClassSelect(select));
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && state.session && VIEWS[state.view].every) VIEWS[state.view].load();
    });
    setDefaultDates();
    try {
      showApp(await api("GET", "/dashboard/session"));
    } catch (error) {
      showSignIn(error.code === "invalid_session" ? "" : error.message);
    }
  }

  start();
})();
"""#
}
