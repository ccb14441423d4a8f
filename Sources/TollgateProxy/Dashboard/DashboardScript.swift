/// The dashboard's script (GET /dashboard/assets/dashboard.js): plain
/// JavaScript, no framework, no build step. Every figure it shows is read
/// from the admin API with fetch, authenticated by the session cookie; a
/// change sends the session's CSRF token in x-csrf-token. Text from the
/// server is only ever set as textContent, never parsed as HTML.
enum DashboardScript {
    static let source = #"""
"use strict";
(function () {
  const state = { session: null, view: "allocation", timer: null, loading: {} };
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
    } catch (error) {
      if (state.session) setText(view + "-error", error.message);
    } finally {
      state.loading[view] = false;
    }
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

  // Allocation ---------------------------------------------------------------

  function loadAllocation() {
    return guarded("allocation", async () => {
      const data = await api("GET", "/admin/allocation");
      renderAllocation(data);
    });
  }

  /// An address that may break after its "@" only.
  function email(text) {
    const at = text.indexOf("@");
    return at < 0 ? text : [text.slice(0, at + 1), el("wbr"), text.slice(at + 1)];
  }

  function rationale(value) {
    if (value === null || value === undefined) return "—";
    if (typeof value === "string") return value;
    const parts = [];
    if (value.trailing_usage) parts.push("trailing " + value.trailing_usage);
    if (value.forecast) parts.push("forecast " + value.forecast);
    if (value.priority !== undefined && value.priority !== null) parts.push("priority " + value.priority);
    return [value.text || "", parts.length ? el("div", { class: "note" }, parts.join(" · ")) : null];
  }

  /// Renewal date; within 14 days it is highlighted, and says so in words.
  function renewal(grant, now) {
    const parts = [];
    if (grant.renews) {
      const text = String(grant.renews);
      const end = text.length === 10 ? Date.parse(text + "T00:00:00Z") + 86400000 : Date.parse(text);
      const days = Math.ceil((end - now) / 86400000);
      if (!isNaN(days) && days <= 14) {
        const note = days <= 0 ? "lapsed" : "in " + days + (days === 1 ? " day" : " days");
        parts.push(el("span", { class: "soon" }, el("span", { "aria-hidden": "true" }, "⚠ "), text + " (" + note + ")"));
      } else {
        parts.push(text);
      }
    } else {
      parts.push("—");
    }
    if (grant.review) parts.push(el("div", { class: "note" }, "review " + grant.review));
    return parts;
  }

  function renderAllocation(data) {
    setText("allocation-as-of", "as of " + when(data.as_of) + " UTC · table version " + data.version);
    const now = Date.parse(data.as_of);
    const body = $("allocation-body");
    const rows = [];
    // Indent from the shallowest grant shown (a team admin's tree starts at its team).
    const visible = new Set(data.grants.map((g) => g.id));
    const top = Math.min(...data.grants.map((g) => g.depth));
    for (const grant of data.grants) {
      const depth = grant.depth - top;
      const nested = grant.parent && visible.has(grant.parent);
      const buckets = grant.buckets.length ? grant.buckets : [null];
      const span = buckets.length;
      buckets.forEach((bucket, index) => {
        const row = el("tr", { class: index === 0 ? "first" : "more", "data-grant": grant.id });
        if (index === 0) {
          const head = el("th", { scope: "row", rowspan: span, class: "grant" },
            nested ? el("span", { class: "branch", "aria-hidden": "true" }, "└ ") : null,
            el("span", { class: "id" }, grant.id),
            grant.parent ? el("span", { class: "sr-only" }, ", inside " + grant.parent) : null,
            grant.status !== "active" ? [" ", statusBadge(grant.status)] : null,
            el("div", { class: "scope" }, grant.scope));
          head.style.setProperty("--depth", String(depth));
          row.append(head,
            el("td", { rowspan: span, class: "owner" }, email(grant.owner)),
            el("td", { rowspan: span }, grant.period, grant.tpm ? el("div", { class: "note" }, grant.tpm.toLocaleString("en") + " TPM") : null));
        }
        if (bucket) {
          row.append(el("td", {}, bucket.name), el("td", { class: "num" }, bucket.amount),
                     el("td", {}, burnBar(bucket)), el("td", { class: "tier" }, tierBadge(bucket.tier)));
        } else {
          row.append(el("td", {}, "—"), el("td", { class: "num" }, "—"), el("td", {}, "—"), el("td", {}, "—"));
        }
        if (index === 0) {
          row.append(el("td", { rowspan: span, class: "renews" }, renewal(grant, now)),
                     el("td", { rowspan: span, class: "why" }, rationale(grant.rationale)));
        }
        rows.push(row);
      });
    }
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 9, class: "empty" }, "No grants in your scope.")));
    body.replaceChildren(...rows);
    renderCapacity(data.capacity);
  }

  function renderCapacity(capacity) {
    const rows = [];
    if (capacity) {
      const share = (percent, warnAbove) => {
        if (percent === null || percent === undefined) return "—";
        const bar = el("div", { class: "bar small", "aria-hidden": "true" });
        const fill = el("span", { class: "seg " + (percent > warnAbove ? "over" : "spent") });
        fill.style.width = Math.min(100, percent) + "%";
        bar.append(fill);
        const words = percent + "% of purchased" + (percent > warnAbove ? " — above the " + warnAbove + "% warning" : "");
        return el("div", { class: "burn" }, bar, el("div", { class: "legend" }, words));
      };
      rows.push(el("tr", {}, el("th", { scope: "row" }, "Money per month"), el("td", { class: "num" }, capacity.allocated_monthly),
                   el("td", { class: "num" }, capacity.purchased_monthly), el("td", {}, share(capacity.money_percent, capacity.warn_above_percent))));
      rows.push(el("tr", {}, el("th", { scope: "row" }, "Tokens per minute"),
                   el("td", { class: "num" }, (capacity.allocated_tpm || 0).toLocaleString("en")),
                   el("td", { class: "num" }, (capacity.purchased_tpm || 0).toLocaleString("en")),
                   el("td", {}, share(capacity.tpm_percent, capacity.warn_above_percent))));
      const pools = (capacity.pools || []).map((p) =>
        p.provider + (p.model ? "/" + p.model : "") + ": " + [p.tpm ? p.tpm.toLocaleString("en") + " TPM" : null,
          p.committed ? p.committed + " committed" : null, p.period].filter(Boolean).join(", "));
      setText("capacity-pools", pools.length ? "Purchased: " + pools.join("; ") + "." : "No capacity pools declared.");
    }
    $("capacity-body").replaceChildren(...rows);
  }

  // In flight -------------------------------------------------------------------

  function loadInFlight() {
    return guarded("inflight", async () => {
      const data = await api("GET", "/admin/allocation");
      renderInFlight(data);
    });
  }

  function renderInFlight(data) {
    setText("inflight-as-of", "as of " + when(data.as_of) + " UTC");
    const visible = new Set(data.grants.map((g) => g.id));
    let total = 0;
    const items = [];
    data.grants.forEach((grant, order) => {
      for (const bucket of grant.buckets) {
        // A grant's counter holds its children's reservations too: add up
        // only the top grants among those visible.
        if (!grant.parent || !visible.has(grant.parent)) total += bucket.reserved_nanos;
        items.push({ grant, bucket, order });
      }
    });
    items.sort((a, b) => (b.bucket.reserved_nanos - a.bucket.reserved_nanos) || (a.order - b.order));
    $("inflight-total").textContent = money(total);
    const largest = Math.max(0, ...items.map((item) => item.bucket.reserved_nanos));
    const rows = items.map(({ grant, bucket }) => {
      const head = el("th", { scope: "row", class: "grant" }, el("span", { class: "id" }, grant.id), el("div", { class: "scope" }, grant.scope));
      return el("tr", { class: bucket.reserved_nanos > 0 ? "busy" : "", "data-grant": grant.id },
        head, el("td", {}, bucket.name), el("td", { class: "num strong" }, bucket.in_flight),
        el("td", { class: "num" }, bucket.spent), el("td", { class: "num" }, bucket.remaining), el("td", { class: "num" }, bucket.amount),
        el("td", {}, exposureBar(bucket, largest)));
    });
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 7, class: "empty" }, "No grants in your scope.")));
    $("inflight-body").replaceChildren(...rows);
  }

  /// In flight against the largest in-flight figure on the page (a
  /// reservation is tiny next to a month's amount), with the words.
  function exposureBar(bucket, largest) {
    const bar = el("div", { class: "bar", "aria-hidden": "true" });
    const fill = el("span", { class: "seg flight" });
    fill.style.width = largest > 0 ? (100 * bucket.reserved_nanos / largest).toFixed(3) + "%" : "0%";
    bar.append(fill);
    const room = bucket.remaining_nanos + bucket.reserved_nanos;
    const share = room > 0 ? 100 * bucket.reserved_nanos / room : 100;
    const percent = share >= 0.1 ? (Math.round(share * 10) / 10) + "%" : "under 0.1%";
    const words = bucket.reserved_nanos > 0 ? percent + " of what was left is reserved" : "nothing reserved";
    return el("div", { class: "burn" }, bar, el("div", { class: "legend" }, words));
  }

  // Exceptions -------------------------------------------------------------------

  function loadExceptions() {
    return guarded("exceptions", async () => {
      const [log, allocation] = await Promise.all([
        api("GET", "/admin/exceptions"),
        canRequest() ? api("GET", "/admin/allocation") : Promise.resolve(null),
      ]);
      renderExceptions(log);
      if (allocation) fillGrantSelects(allocation);
    });
  }

  function renderExceptions(log) {
    setText("exceptions-as-of", "as of " + when(log.as_of) + " UTC");
    const deciding = canDecide();
    const headRow = $("exceptions-head");
    const hasDecisionColumn = headRow.lastElementChild.dataset.decision === "yes";
    if (deciding && !hasDecisionColumn) headRow.append(el("th", { scope: "col", "data-decision": "yes" }, "Decision"));
    if (!deciding && hasDecisionColumn) headRow.lastElementChild.remove();
    const rows = log.exceptions.slice().reverse().map((x) => {
      const condition = x.condition || (x.denial_reason ? "Denied: " + x.denial_reason : "—");
      const row = el("tr", { "data-exception": x.id, "data-status": x.status },
        el("th", { scope: "row", class: "nowrap" }, x.id), el("td", {}, x.kind, x.immediate ? el("div", { class: "note" }, "granted at once") : null),
        el("td", {}, x.grant, el("div", { class: "note" }, x.bucket)), el("td", { class: "num" }, "+" + x.amount),
        el("td", { class: "window" }, el("div", {}, when(x.starts)), el("div", {}, "→ " + when(x.ends))), el("td", {}, statusBadge(x.status)),
        el("td", {}, x.requested_by), el("td", { class: "why" }, x.reason, x.use_case ? el("div", { class: "note" }, "use case: " + x.use_case) : null),
        el("td", {}, x.decided_by || "—"), el("td", { class: "why" }, condition), el("td", { class: "num" }, x.spent_under));
      if (deciding) row.append(el("td", { class: "decide" }, x.status === "pending" ? decisionControls(x) : "—"));
      return row;
    });
    const columns = deciding ? 12 : 11;
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: columns, class: "empty" }, "No exceptions in your scope.")));
    $("exceptions-body").replaceChildren(...rows);
  }

  function decisionControls(x) {
    const id = "decide-" + x.id;
    const input = el("input", { id, type: "text", "data-note-for": x.id });
    const decide = (action) => async (event) => {
      const button = event.currentTarget;
      const text = input.value.trim();
      const body = action === "approve" ? (text ? { condition: text } : {}) : { reason: text };
      button.disabled = true;
      setText("exceptions-message", "");
      setText("exceptions-error", "");
      try {
        const result = await api("POST", "/admin/exceptions/" + encodeURIComponent(x.id) + "/" + action, body);
        await loadExceptions();
        setText("exceptions-message", result.id + " " + (action === "approve" ? "approved" : "denied") + ": now " + result.status + ".");
      } catch (error) {
        setText("exceptions-error", x.id + ": " + error.message);
        button.disabled = false;
      }
    };
    return [
      el("label", { for: id }, "Condition (approve) or reason (deny)"), input,
      el("div", { class: "buttons" },
        el("button", { type: "button", class: "approve", "data-action": "approve", "data-id": x.id, "aria-label": "Approve " + x.id, onclick: decide("approve") }, "Approve"),
        el("button", { type: "button", class: "deny", "data-action": "deny", "data-id": x.id, "aria-label": "Deny " + x.id, onclick: decide("deny") }, "Deny")),
    ];
  }

  function fillGrantSelects(allocation) {
    const grants = allocation.grants.filter((g) => g.status === "active" || g.status === "grace");
    for (const select of document.querySelectorAll("[data-grant-select]")) {
      const previous = select.value;
      select.replaceChildren(...grants.map((g) => el("option", { value: g.id }, "  ".repeat(g.depth) + g.id + " — " + g.scope)));
      if (grants.some((g) => g.id === previous)) select.value = previous;
      select.grants = grants;
      fillClassSelect(select);
    }
  }

  function fillClassSelect(grantSelect) {
    const form = grantSelect.form;
    const classSelect = form.querySelector("[data-class-select]");
    const grant = (grantSelect.grants || []).find((g) => g.id === grantSelect.value);
    const classes = [];
    for (const bucket of (grant ? grant.buckets : [])) for (const c of bucket.classes) if (!classes.includes(c)) classes.push(c);
    const previous = classSelect.value;
    classSelect.replaceChildren(...classes.map((c) => el("option", { value: c }, c)));
    if (classes.includes(previous)) classSelect.value = previous;
  }

  async function submitRaise(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const body = {};
    for (const [name, value] of new FormData(form).entries()) {
      const text = String(value).trim();
      if (text) body[name] = text;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    setText("exceptions-message", "");
    setText("exceptions-error", "");
    try {
      const result = await api("POST", form.dataset.endpoint, body);
      form.reset();
      setDefaultDates();
      await loadExceptions();
      setText("exceptions-message", result.note || (result.id + " filed: " + result.status + ", waiting for an approver."));
    } catch (error) {
      setText("exceptions-error", error.message);
    } finally {
      button.disabled = false;
    }
  }

  function setDefaultDates() {
    const inAWeek = new Date(Date.now() + 7 * 86400000).toISOString().slice(0, 10);
    for (const input of document.querySelectorAll("input[type=date]")) if (!input.value) input.value = inAWeek;
  }

  // Spend over time ----------------------------------------------------------------

  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined) node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const SPEND_SERIES_SHOWN = 8;

  function spendChoice() {
    const form = $("spend-controls");
    const bucket = form.querySelector("input[name=bucket]:checked");
    return { by: $("spend-by").value, bucket: bucket ? bucket.value : "day" };
  }

  function loadSpend() {
    return guarded("spend", async () => {
      const choice = spendChoice();
      const query = "by=" + encodeURIComponent(choice.by) + "&bucket=" + encodeURIComponent(choice.bucket) + (choice.bucket === "day" ? "&days=14" : "");
      const [data, alerts] = await Promise.all([
        api("GET", "/admin/spend?" + query),
        api("GET", "/admin/alerts").catch(() => ({ alerts: [] })),
      ]);
      const series = data.series.slice(0, SPEND_SERIES_SHOWN);
      // The anomaly baseline is daily and per team: drawn behind team series by day.
      const baselines = {};
      if (data.by === "team" && data.bucket === "day") {
        await Promise.all(series.filter((s) => s.key).map(async (s) => {
          try {
            baselines[s.key] = await api("GET", "/admin/anomaly/baseline?subject=" + encodeURIComponent("team/" + s.key));
          } catch (error) { /* no anomaly plugin, or not in scope: no line */ }
        }));
      }
      const spikes = (alerts.alerts || []).filter((a) => a.kind === "spend_spike" || a.kind === "spend_projection");
      renderSpend(data, series, baselines, spikes);
    });
  }

  /// The bucket a time falls in, as the route labels buckets.
  function bucketOf(at, bucket) {
    const text = String(at || "");
    return bucket === "day" ? text.slice(0, 10) : text.slice(0, 13) + ":00Z";
  }

  function renderSpend(data, series, baselines, spikes) {
    setText("spend-as-of", "as of " + when(data.as_of) + " UTC · " + (data.bucket === "day" ? "by day" : "by hour") + ", " + when(data.from) + " to " + when(data.to));
    const charts = series.map((s, index) => spendChart(data, s, index, baselines[s.key], spikes));
    if (data.series.length > series.length) {
      charts.push(el("p", { class: "note" }, (data.series.length - series.length) + " smaller series not drawn (" +
        data.series.slice(series.length).map((s) => s.key || "(none)").join(", ") + ")."));
    }
    if (!charts.length) charts.push(el("p", { class: "empty" }, "No spend in your scope over this period."));
    $("spend-charts").replaceChildren(...charts);
  }

  function spendChart(data, s, index, baseline, spikes) {
    const name = s.key === null ? "(none)" : s.key;
    const subject = data.by === "team" && s.key ? "team/" + s.key : null;
    const marks = subject ? spikes.filter((a) => a.subject === subject) : [];
    const points = s.points;
    const base = baseline && baseline.baseline_nanos !== null ? baseline.baseline_nanos : null;
    const line = baseline && baseline.alert_nanos !== null ? baseline.alert_nanos : null;
    const top = Math.max(1, ...points.map((p) => p.cost_nanos), base || 0, line || 0);
    const W = 720, H = 200, left = 72, right = 12, upper = 12, lower = 36;
    const plotW = W - left - right, plotH = H - upper - lower;
    const step = plotW / Math.max(1, points.length);
    const y = (nanos) => upper + plotH - plotH * nanos / top;
    const titleId = "spend-title-" + index, descId = "spend-desc-" + index;
    const unit = data.bucket === "day" ? "day" : "hour";
    const total = points.reduce((sum, p) => sum + p.cost_nanos, 0);
    const peak = points.reduce((best, p) => (p.cost_nanos > best.cost_nanos ? p : best), points[0] || { t: "—", cost_nanos: 0 });
    let desc = "Spend per " + unit + " of " + name + " from " + when(data.from) + " to " + when(data.to) + ": " + money(total) +
      " in all, at most " + money(peak.cost_nanos) + " (" + peak.t + ").";
    if (base !== null) desc += " Anomaly baseline " + money(base) + " a day; alert line " + money(line) + " (× " + baseline.factor + ").";
    if (marks.length) desc += " " + marks.length + " alert" + (marks.length === 1 ? "" : "s") + " marked.";
    const chart = svg("svg", { class: "chart", viewBox: "0 0 " + W + " " + H, role: "img", "aria-labelledby": titleId + " " + descId, "data-series": name },
      svg("title", { id: titleId }, "Spend per " + unit + ": " + name),
      svg("desc", { id: descId }, desc));
    // Axis: zero, the top, and the bucket labels (every few).
    chart.append(svg("line", { class: "axis", x1: left, x2: W - right, y1: y(0), y2: y(0) }),
      svg("text", { class: "tick", x: left - 6, y: y(0) + 4, "text-anchor": "end" }, money(0)),
      svg("text", { class: "tick", x: left - 6, y: y(top) + 4, "text-anchor": "end" }, money(top)),
      svg("line", { class: "grid", x1: left, x2: W - right, y1: y(top), y2: y(top) }));
    const every = Math.max(1, Math.ceil(points.length / 8));
    points.forEach((p, i) => {
      const x = left + i * step;
      const h = Math.max(0, y(0) - y(p.cost_nanos));
      chart.append(svg("rect", { class: "spend-bar", x: (x + step * 0.15).toFixed(2), y: y(p.cost_nanos).toFixed(2), width: (step * 0.7).toFixed(2), height: h.toFixed(2) },
        svg("title", {}, p.t + ": " + money(p.cost_nanos))));
      if (i % every === 0) {
        const label = unit === "day" ? p.t.slice(5) : p.t.slice(11, 16);
        chart.append(svg("text", { class: "tick", x: (x + step / 2).toFixed(2), y: H - lower + 16, "text-anchor": "middle" }, label));
      }
    });
    // Behind-the-spend lines: dashed, each labelled in words at its end.
    for (const [value, cls, label] of [[base, "baseline", "baseline"], [line, "alert-line", "alert × " + (baseline ? baseline.factor : "")]]) {
      if (value === null) continue;
      chart.insertBefore(svg("line", { class: cls, x1: left, x2: W - right, y1: y(value).toFixed(2), y2: y(value).toFixed(2), "stroke-dasharray": cls === "baseline" ? "6 4" : "2 3" }), chart.children[2]);
      chart.append(svg("text", { class: "line-label " + cls, x: W - right - 2, y: (y(value) - 3).toFixed(2), "text-anchor": "end" }, label + " " + money(value)));
    }
    // Alerts on the time axis: a triangle under the bucket, with words.
    for (const a of marks) {
      const i = points.findIndex((p) => p.t === bucketOf(a.at, data.bucket));
      if (i < 0) continue;
      const x = left + i * step + step / 2;
      chart.append(svg("g", { class: "alert-mark " + a.severity },
        svg("title", {}, a.kind + " (" + a.severity + ") at " + when(a.at) + ": " + a.message),
        svg("line", { x1: x.toFixed(2), x2: x.toFixed(2), y1: upper, y2: y(0) }),
        svg("path", { d: "M" + (x - 6).toFixed(2) + " " + (H - 4) + " L" + (x + 6).toFixed(2) + " " + (H - 4) + " L" + x.toFixed(2) + " " + (H - 14) + " Z" })));
    }
    // The numbers, as a table.
    const alertsAt = (t) => marks.filter((a) => bucketOf(a.at, data.bucket) === t).map((a) => a.kind + " (" + a.severity + ")").join(", ");
    const head = [el("th", { scope: "col" }, unit === "day" ? "Day (UTC)" : "Hour (UTC)"), el("th", { scope: "col", class: "num" }, "Spent")];
    if (base !== null) head.push(el("th", { scope: "col", class: "num" }, "Baseline"), el("th", { scope: "col", class: "num" }, "Alert line"));
    if (subject) head.push(el("th", { scope: "col" }, "Alerts"));
    const rows = points.map((p) => {
      const row = el("tr", {}, el("th", { scope: "row" }, p.t), el("td", { class: "num" }, money(p.cost_nanos)));
      if (base !== null) row.append(el("td", { class: "num" }, money(base)), el("td", { class: "num" }, money(line)));
      if (subject) row.append(el("td", {}, alertsAt(p.t) || "—"));
      return row;
    });
    const table = el("table", { class: "spend-table" },
      el("caption", {}, "Spend per " + unit + " of " + name + (base !== null ? ", with the anomaly baseline of " + baseline.subject : "")),
      el("thead", {}, el("tr", {}, head)), el("tbody", {}, rows));
    return el("figure", { class: "spend-series", "data-key": name },
      el("figcaption", {}, el("strong", {}, name), " — " + money(total) + " over the period",
        marks.length ? el("span", { class: "marker-key" }, " ▲ " + marks.length + " alert" + (marks.length === 1 ? "" : "s")) : null),
      chart,
      el("details", {}, el("summary", {}, "The numbers for " + name), el("div", { class: "scroll" }, table)));
  }

  // Alerts ---------------------------------------------------------------------

  function loadAlerts() {
    return guarded("alerts", async () => {
      const data = await api("GET", "/admin/alerts");
      setText("alerts-as-of", "as of " + when(data.as_of) + " UTC · the last " + data.kept + " are kept in memory");
      const rows = data.alerts.map((a) => el("tr", { "data-kind": a.kind },
        el("td", {}, when(a.at)), el("td", {}, severityBadge(a.severity)), el("td", {}, a.kind), el("td", {}, a.subject),
        el("td", { class: "why" }, a.message), el("td", {}, a.sinks.length ? a.sinks.join(", ") : "no sink")));
      if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 6, class: "empty" }, "No alerts in your scope since the gateway started.")));
      $("alerts-body").replaceChildren(...rows);
    });
  }

  // My key -----------------------------------------------------------------------

  function loadMyKey() {
    return guarded("mykey", async () => renderMyKey(await api("GET", "/admin/me")));
  }

  function renderMyKey(data) {
    const key = data.key;
    setText("mykey-as-of", data.as_of ? "as of " + when(data.as_of) + " UTC" : "");
    const facts = [
      ["Key", key.id], ["Org / team", key.org + " / " + key.team], ["Owner", key.owner], ["Class", key.class],
      ["Models", key.models ? key.models.join(", ") : "every model in the catalog"],
      ["Expires", key.expires ? when(key.expires) + " UTC" : "never"],
      ["Bound to grant", key.grant || "— (the grants of its team and org)"],
    ];
    $("mykey-identity").replaceChildren(...facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
    setText("mykey-note", [data.note, data.key_spend ? "Your key's own spend is its key grant's, " + data.key_spend + "." : data.key_spend_note]
      .filter(Boolean).join(" "));
    const now = data.as_of ? Date.parse(data.as_of) : Date.now();
    const cards = data.grants.map((grant) => {
      const figures = grant.allocation;
      const buckets = figures ? figures.buckets.filter((b) => b.classes.includes(key.class)) : [];
      const bars = buckets.map((bucket) => el("div", { class: "bucket" },
        el("div", { class: "bucket-head" }, el("span", {}, bucket.name + " · " + bucket.effective + " · " + grant.period), " ", tierBadge(bucket.tier)),
        burnBar(bucket),
        bucket.resets_at ? el("div", { class: "note" }, "resets " + when(bucket.resets_at) + " UTC") : null));
      const card = el("li", { class: "card grant-card", "data-grant": grant.id },
        el("h4", {}, el("span", { class: "id" }, grant.id), " ", el("span", { class: "scope" }, grant.scope + " · " + grant.level + " grant"),
          figures && figures.status !== "active" ? [" ", statusBadge(figures.status)] : null),
        el("div", { class: "note" }, "owner ", email(grant.owner), grant.parent ? " · inside " + grant.parent : ""),
        bars.length ? bars : el("p", { class: "note" }, figures ? "No bucket for " + key.class + " keys." : "No figures (see above)."),
        el("dl", { class: "facts" },
          el("dt", {}, "At the cap"), el("dd", {}, grant.at_cap),
          el("dt", {}, "Renews"), el("dd", {}, renewal(grant, now)),
          el("dt", {}, "To ask for more"), el("dd", {}, grant.ask.how, el("pre", {}, el("code", {}, grant.ask.command)))));
      card.style.setProperty("--depth", String(grant.depth));
      return card;
    });
    if (!cards.length) cards.push(el("li", { class: "empty" }, "No grant applies to your key: its requests are not budgeted by a grant."));
    $("mykey-grants").replaceChildren(...cards);
  }

  // --- start --------------------------------------------------------------------

  async function start() {
    $("sign-in-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", signOut);
    for (const button of document.querySelectorAll("[data-view]")) button.addEventListener("click", () => selectView(button.dataset.view));
    for (const button of document.querySelectorAll("[data-refresh]")) button.addEventListener("click", () => VIEWS[button.dataset.refresh].load());
    for (const form of [$("request-form"), $("burst-form")]) form.addEventListener("submit", submitRaise);
    $("spend-controls").addEventListener("change", () => loadSpend());
    $("spend-controls").addEventListener("submit", (event) => { event.preventDefault(); loadSpend(); });
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
