extension DashboardScript {
    /// The chargeback view: the chargeback table (GET /admin/finance/chargeback), cost per outcome per
    /// team over the last months (the same route, one month each), forecast vs actual
    /// (GET /admin/finance/forecast), the forecasts submitted (GET /admin/forecasts), a team admin's
    /// forecast form (POST /admin/forecasts), the CSV and FOCUS downloads. Every figure is the
    /// route's own string, shown as sent; the numbers (`_nanos`) only size bars and lines.
    /// Part of the one function `source` assembles (functions are hoisted, so the order of the
    /// parts does not matter).
    static let chargebackView = #"""
  // Chargeback -------------------------------------------------------------------

  const TREND_MONTHS = 6;
  let chargebackAgain = false;

  /// A report's dollar string ("12.34", "-0.5", null) as the gateway writes money ("$12.34", "-$0.5"); "—" for none.
  function usd(text) {
    if (text === null || text === undefined) return "—";
    const s = String(text);
    return s.startsWith("-") ? "-$" + s.slice(1) : "$" + s;
  }

  /// A report's percentage ("85.51", null): "85.51%", "—".
  function reportPercent(text) {
    return text === null || text === undefined ? "—" : String(text) + "%";
  }

  /// A change against the previous period, in words and a symbol, never colour alone: "▲ up 12.5%".
  function changeWords(text) {
    if (text === null || text === undefined) return el("span", { class: "change none" }, "—");
    const s = String(text);
    if (/^-?0(\.0*)?$/.test(s)) return el("span", { class: "change flat" }, el("span", { "aria-hidden": "true" }, "= "), "no change");
    const down = s.startsWith("-");
    return el("span", { class: "change " + (down ? "down" : "up") }, el("span", { "aria-hidden": "true" }, down ? "▼ " : "▲ "),
      (down ? "down " + s.slice(1) : "up " + s) + "%");
  }

  function chargebackChoice() {
    const period = $("chargeback-controls").querySelector("input[name=period]:checked");
    return { period: period ? period.value : "current", by: $("chargeback-by").value };
  }

  function chargebackPath(period, by, format) {
    return "/admin/finance/chargeback?period=" + encodeURIComponent(period) + "&by=" + encodeURIComponent(by) + (format ? "&format=" + format : "");
  }

  /// "2026-12" and the months before it, `count` in all, oldest first.
  function monthsTo(period, count) {
    const [year, month] = period.split("-").map(Number);
    const out = [];
    for (let back = count - 1; back >= 0; back--) {
      const index = year * 12 + (month - 1) - back;
      out.push(Math.floor(index / 12) + "-" + String(index % 12 + 1).padStart(2, "0"));
    }
    return out;
  }

  /// The table first, then the trend, the forecast and the submitted forecasts as each answers.
  /// A change of the pickers while a load runs loads again when it ends.
  function loadChargeback() {
    if (state.loading.chargeback) { chargebackAgain = true; return Promise.resolve(); }
    return guarded("chargeback", async () => {
      const choice = chargebackChoice();
      const main = await api("GET", chargebackPath(choice.period, choice.by));
      renderChargeback(main);
      markRendered("chargeback");  // the table: the view's first figures
      const months = monthsTo(main.period, TREND_MONTHS);
      await Promise.all([
        Promise.all(months.map((month) => (month === main.period && main.by === "team" ? main : api("GET", chargebackPath(month, "team")))))
          .then((answers) => renderTrend(months, answers)),
        api("GET", "/admin/finance/forecast?period=" + encodeURIComponent(main.period)).then(renderForecast),
        api("GET", "/admin/forecasts").then(renderForecasts),
      ]);
    }).then(() => {
      if (!chargebackAgain) return;
      chargebackAgain = false;
      return loadChargeback();
    });
  }

  const CHARGEBACK_KEYS = {
    team: [["team", "Team"]], feature: [["team", "Team"], ["feature", "Feature"]],
    grant: [["grant", "Grant"]], owner: [["owner", "Grant owner"]],
  };

  function renderChargeback(data) {
    setText("chargeback-as-of", data.period + " (" + when(data.from) + " to " + when(data.to) + " UTC), against " + data.previous_period + " · by " + data.by);
    const csv = $("export-csv"), focus = $("export-focus");
    csv.href = chargebackPath(data.period, data.by, "csv");
    csv.setAttribute("download", "chargeback-" + data.period + "-by-" + data.by + ".csv");
    focus.href = "/admin/finance/focus?period=" + encodeURIComponent(data.period);
    focus.setAttribute("download", "focus-" + data.period + ".csv");
    $("chargeback-caption").replaceChildren(data.title + ": spend, share of the bill and cost per outcome against " + data.previous_period +
      " (", el("code", {}, "GET /admin/finance/chargeback"), ").");
    const keys = CHARGEBACK_KEYS[data.by] || [[data.by, data.by]];
    const before = data.previous_period;
    const month = () => el("span", { class: "nowrap" }, before);
    const columns = keys.map((k) => [k[1], false]).concat([["Cost centre", false], ["Requests", true], ["Spend", true], ["Share of bill", true],
      [["Spend ", month()], true], ["Spend Δ", false], ["Outcome", false], ["Outcomes", true], ["Cost per outcome", true],
      [["Cost per outcome ", month()], true], ["Cost per outcome Δ", false]]);
    $("chargeback-head").replaceChildren(...columns.map(([t, numeric]) => el("th", { scope: "col", class: numeric ? "num" : null }, t)));
    const cell = (field, text, cls) => el("td", { class: cls || null, "data-field": field }, text);
    // One or two outcome metrics: the second on a line of its own in the same cells.
    const metric = (row, field, second, render, cls) => {
      const first = el("div", { "data-field": field }, render(row[field]));
      const lines = [first];
      if (row.outcome_metric_2 !== undefined && row.outcome_metric_2 !== null) {
        lines.push(second ? el("div", { class: "second", "data-field": second }, render(row[second])) : el("div", { class: "second" }, "—"));
      }
      return el("td", { class: cls || null }, lines);
    };
    const text = (v) => (v === null || v === undefined ? "—" : String(v));
    const count = (v) => (v === null || v === undefined ? "—" : Number(v).toLocaleString("en"));
    const rows = data.rows.map((row) => {
      const key = keys.map((k, i) => (i === 0 ? el("th", { scope: "row", "data-field": k[0] }, text(row[k[0]])) : cell(k[0], text(row[k[0]]))));
      return el("tr", { "data-key": keys.map((k) => row[k[0]]).join("|") }, key,
        cell("cost_center", text(row.cost_center)), cell("requests", count(row.requests), "num"), cell("spend", usd(row.spend), "num strong"),
        cell("share_of_bill", reportPercent(row.share_of_bill), "num"), cell("previous_spend", usd(row.previous_spend), "num"),
        cell("spend_change", changeWords(row.spend_change)),
        metric(row, "outcome_metric", "outcome_metric_2", text), metric(row, "outcomes", "outcomes_2", count, "num"),
        metric(row, "cost_per_outcome", "cost_per_outcome_2", usd, "num strong"), metric(row, "previous_cost_per_outcome", null, usd, "num"),
        metric(row, "cost_per_outcome_change", "cost_per_outcome_2_change", changeWords));
    });
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: columns.length, class: "empty" }, "No spend or outcomes in your scope in " + data.period + ".")));
    $("chargeback-body").replaceChildren(...rows);
    const t = data.total;
    $("chargeback-foot").replaceChildren(t ? el("tr", { class: "total-row" },
      el("th", { scope: "row", colspan: keys.length }, "Total (the bill)"), el("td", {}),
      cell("requests", count(t.requests), "num"), cell("spend", usd(t.spend), "num strong"), cell("share_of_bill", reportPercent(t.share_of_bill), "num"),
      cell("previous_spend", usd(t.previous_spend), "num"), cell("spend_change", changeWords(t.spend_change)),
      el("td", { colspan: 5 })) : "");
    $("chargeback-notes").replaceChildren(...(data.notes || []).map((n) => el("li", {}, n)));
  }

  /// Rows per team and outcome metric; a column per month with that month's cost per outcome.
  function renderTrend(months, answers) {
    const series = new Map();
    const teams = [];
    answers.forEach((answer, m) => {
      for (const row of answer.rows) {
        if (!teams.includes(row.team)) teams.push(row.team);
        for (const [name, cost, nanos, outcomes, delta] of [
          [row.outcome_metric, row.cost_per_outcome, row.cost_per_outcome_nanos, row.outcomes, row.cost_per_outcome_change],
          [row.outcome_metric_2, row.cost_per_outcome_2, row.cost_per_outcome_2_nanos, row.outcomes_2, row.cost_per_outcome_2_change]]) {
          if (name === null || name === undefined) continue;
          const id = row.team + "\u0000" + name;
          if (!series.has(id)) series.set(id, { team: row.team, metric: name, points: months.map(() => null) });
          series.get(id).points[m] = { cost, nanos, outcomes, delta };
        }
      }
    });
    $("trend-head").replaceChildren(el("th", { scope: "col" }, "Team"), el("th", { scope: "col" }, "Outcome"),
      ...months.map((month) => el("th", { scope: "col", class: "num" }, month)),
      el("th", { scope: "col" }, "Against " + months[months.length - 2]), el("th", { scope: "col" }, "Trend"));
    const ordered = [...series.values()].sort((a, b) => teams.indexOf(a.team) - teams.indexOf(b.team));
    const rows = ordered.map((s) => {
      const last = s.points[s.points.length - 1];
      return el("tr", { "data-team": s.team, "data-metric": s.metric },
        el("th", { scope: "row" }, s.team), el("td", {}, s.metric),
        ...s.points.map((p, i) => el("td", { class: "num", "data-month": months[i] }, p ? usd(p.cost) : "—",
          p && p.outcomes !== null ? el("div", { class: "note" }, Number(p.outcomes).toLocaleString("en") + " outcomes") : null)),
        el("td", {}, changeWords(last ? last.delta : null)), el("td", {}, sparkline(s, months)));
    });
    const quiet = teams.filter((team) => !ordered.some((s) => s.team === team));
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: months.length + 4, class: "empty" }, "No outcome metric declared or reported in your scope.")));
    if (quiet.length) rows.push(el("tr", {}, el("td", { colspan: months.length + 4, class: "note" }, "No outcome metric: " + quiet.join(", ") + ".")));
    $("trend-body").replaceChildren(...rows);
  }

  /// A small line of the months' cost per outcome (the figures are in the row beside it).
  function sparkline(s, months) {
    const W = 150, H = 40, pad = 5;
    const values = s.points.map((p) => (p && p.cost !== null ? p.nanos : null));
    const top = Math.max(1, ...values.filter((v) => v !== null));
    const x = (i) => pad + (W - 2 * pad) * i / Math.max(1, months.length - 1);
    const y = (v) => H - pad - (H - 2 * pad) * v / top;
    const chart = svg("svg", { class: "spark", viewBox: "0 0 " + W + " " + H, width: W, height: H, "aria-hidden": "true" },
      svg("line", { class: "axis", x1: pad, x2: W - pad, y1: H - pad, y2: H - pad }));
    let path = "";
    values.forEach((v, i) => {
      if (v === null) return;
      path += (i > 0 && values[i - 1] !== null ? " L" : " M") + x(i).toFixed(1) + " " + y(v).toFixed(1);
      chart.append(svg("circle", { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 2.5 }, svg("title", {}, months[i] + ": " + usd(s.points[i].cost))));
    });
    if (path) chart.insertBefore(svg("path", { d: path.trim() }), chart.children[1] || null);
    return chart;
  }

  function renderForecast(data) {
    $("forecast-caption").replaceChildren(data.title + ": each team's forecast against its actual spend, and the haircut the rule recommends (",
      el("code", {}, "GET /admin/finance/forecast"), ").");
    const byTeam = new Map();
    for (const row of data.rows) {
      if (!byTeam.has(row.team)) byTeam.set(row.team, []);
      byTeam.get(row.team).push(row);
    }
    const rows = [];
    for (const [team, entries] of byTeam) {
      const scale = Math.max(1, ...entries.map((r) => Math.max(r.forecast_nanos || 0, r.actual_nanos || 0)));
      entries.forEach((r, i) => {
        const row = el("tr", { "data-team": team, "data-period": r.period, class: i === 0 ? "first" : "more" });
        if (i === 0) row.append(el("th", { scope: "row", rowspan: entries.length }, team));
        const error = r.error === null ? "—" : usd(r.error) + (String(r.error).startsWith("-") ? " (under)" : " (over)");
        row.append(el("td", {}, r.period), el("td", { class: "num", "data-field": "forecast" }, usd(r.forecast)),
          el("td", { class: "num", "data-field": "actual" }, usd(r.actual)), el("td", {}, forecastBars(r, scale)),
          el("td", { class: "num", "data-field": "accuracy" }, r.accuracy === null ? "—" : reportPercent(r.accuracy) + " of forecast"),
          el("td", { class: "num" }, error), el("td", {}, r.peak_multiplier || "—"), el("td", { class: "why" }, r.events || "—"),
          el("td", { class: "num", "data-field": "haircut" }, r.haircut_next_grant === null ? "—"
            : [badge("tier-amber", "haircut", "▼"), " " + usd(r.haircut_next_grant)]));
        rows.push(row);
      });
    }
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 10, class: "empty" }, "No team in your scope.")));
    $("forecast-body").replaceChildren(...rows);
    const t = data.total;
    $("forecast-foot").replaceChildren(t ? el("tr", { class: "total-row" }, el("th", { scope: "row" }, "Total"), el("td", {}, t.period),
      el("td", { class: "num" }, usd(t.forecast)), el("td", { class: "num" }, usd(t.actual)), el("td", {}),
      el("td", { class: "num" }, reportPercent(t.accuracy)), el("td", { class: "num" }, usd(t.error)), el("td", { colspan: 3 })) : "");
    $("forecast-notes").replaceChildren(...(data.notes || []).map((n) => el("li", {}, n)));
    fillForecastTeams([...byTeam.keys()]);
  }

  /// Forecast (an outlined box) over actual (solid), each with its figure in words.
  function forecastBars(r, scale) {
    const bar = (cls, nanos, label) => {
      const fill = el("span", { class: "fill" });
      fill.style.width = (100 * Math.max(0, nanos || 0) / scale).toFixed(2) + "%";
      return el("div", { class: "fbar " + cls }, el("span", { class: "track", "aria-hidden": "true" }, fill), el("span", { class: "label" }, label));
    };
    return el("div", { class: "fbars" },
      r.forecast === null ? el("div", { class: "fbar none" }, "no forecast") : bar("forecast", r.forecast_nanos, "forecast " + usd(r.forecast)),
      bar("actual", r.actual_nanos, "actual " + usd(r.actual)));
  }

  function renderForecasts(data) {
    const list = data.forecasts.slice().sort((a, b) => (a.team === b.team ? b.period.localeCompare(a.period) : a.team.localeCompare(b.team)));
    const rows = list.map((f) => el("tr", { "data-team": f.team, "data-period": f.period },
      el("th", { scope: "row" }, f.team), el("td", {}, f.period), el("td", { class: "num", "data-field": "amount" }, f.amount),
      el("td", {}, f.peak_multiplier || "—"), el("td", { class: "why" }, f.events.length ? f.events.join("; ") : "—"),
      el("td", { class: "why" }, f.note || "—"), el("td", {}, f.submitted_by), el("td", { class: "nowrap" }, when(f.submitted_at))));
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 8, class: "empty" }, "No forecast submitted in your scope.")));
    $("forecasts-body").replaceChildren(...rows);
  }

  /// A team admin forecasts for its own team; the master key for any team the report lists.
  function fillForecastTeams(teams) {
    const select = $("forecast-team");
    const own = state.session && state.session.scope && state.session.scope.startsWith("team/") ? [state.session.scope.slice(5)] : null;
    const choices = own || teams;
    const previous = select.value;
    select.replaceChildren(...choices.map((team) => el("option", { value: team }, team)));
    if (choices.includes(previous)) select.value = previous;
  }

  async function submitForecast(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const value = (name) => form.elements[name].value.trim();
    const body = { team: value("team"), period: value("period"), amount: value("amount") };
    if (value("peak_multiplier")) body.peak_multiplier = value("peak_multiplier");
    const events = value("events").split("\n").map((line) => line.trim()).filter(Boolean);
    if (events.length) body.events = events;
    if (value("note")) body.note = value("note");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    setText("forecast-message", "");
    setText("forecast-error", "");
    try {
      const result = await api("POST", "/admin/forecasts", body);
      form.reset();
      renderForecasts(await api("GET", "/admin/forecasts"));
      setText("forecast-message", "Forecast for " + result.team + ", " + result.period + ": " + result.amount + " (submitted by " + result.submitted_by + ").");
    } catch (error) {
      setText("forecast-error", error.message);
    } finally {
      button.disabled = false;
    }
  }

"""#
}
