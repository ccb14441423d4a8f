extension DashboardScript {
    /// The spend-over-time view: one SVG chart per series, the anomaly baseline and alert line, spike marks, a table of the numbers. Part of the one function `source` assembles (functions
    /// are hoisted, so the order of the parts does not matter).
    static let spendView = #"""
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

"""#
}
