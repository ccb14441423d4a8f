extension DashboardScript {
    /// The exceptions view: the log, an approver's decisions, a team admin's request and burst forms. Part of the one function `source` assembles (functions
    /// are hoisted, so the order of the parts does not matter).
    static let exceptionsView = #"""
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

"""#
}
