extension DashboardScript {
    /// The allocation and in-flight views: the grant tree with burn-down bars, capacity, exposure per grant. Part of the one function `source` assembles (functions
    /// are hoisted, so the order of the parts does not matter).
    static let allocationViews = #"""
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

"""#
}
