extension DashboardScript {
    /// The alerts view and the key holder's "My key" view. Part of the one function `source` assembles (functions
    /// are hoisted, so the order of the parts does not matter).
    static let alertsAndMyKeyViews = #"""
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

"""#
}
