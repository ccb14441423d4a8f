/// The dashboard's style sheet (GET /dashboard/assets/dashboard.css). The
/// bars are plain CSS boxes (no chart library); every colour has words
/// beside it, so nothing is said by colour alone.
enum DashboardStyle {
    static let source = #"""
:root {
  --ink: #1d2127; --muted: #5b6470; --line: #d8dde3; --paper: #ffffff; --band: #f5f7f9;
  --accent: #1f4fd1; --spent: #3358c4; --flight: #e8890c; --left: #cfe8d4; --over: #c62828;
  --green-bg: #e3f4e6; --green-ink: #17602b; --amber-bg: #fff1d0; --amber-ink: #7a4b00;
  --red-bg: #fde3e3; --red-ink: #9b1c1c; --grey-bg: #eceff2; --grey-ink: #454c55; --blue-bg: #e4ecfb; --blue-ink: #1c3f8f;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 15px; color: var(--ink); background: var(--band);
}
* { box-sizing: border-box; }
body { margin: 0; }
a.skip { position: absolute; left: -999px; }
a.skip:focus { left: 1rem; top: .5rem; background: var(--paper); padding: .4rem .6rem; z-index: 10; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
[hidden] { display: none !important; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9em; }

.top { display: flex; align-items: center; gap: 1rem; padding: .6rem 1.5rem; background: #14213d; color: #fff; }
.top h1 { font-size: 1.2rem; margin: 0; letter-spacing: .02em; }
.top .who { margin: 0 0 0 auto; font-size: .9rem; }
.top button { background: transparent; color: #fff; border-color: #8da2c8; }
main { padding: 1rem 1.5rem 3rem; max-width: 1500px; margin: 0 auto; }

button { font: inherit; padding: .35rem .8rem; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; cursor: pointer; }
button:hover { filter: brightness(1.1); }
button:disabled { opacity: .55; cursor: progress; }
button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, a:focus-visible { outline: 3px solid #f4b400; outline-offset: 2px; }
button.deny { background: var(--paper); color: var(--red-ink); border-color: var(--red-ink); }
input, select, textarea { font: inherit; padding: .35rem .5rem; border: 1px solid #9aa4b1; border-radius: 4px; background: var(--paper); color: var(--ink); }

.sign-in { max-width: 30rem; margin: 3rem auto; background: var(--paper); border: 1px solid var(--line); border-radius: 6px; padding: 1.5rem; }
.sign-in form { display: grid; gap: .5rem; }
.error { color: var(--red-ink); font-weight: 600; margin: .3rem 0; }
.error:empty, .message:empty { display: none; }
.message { color: var(--green-ink); font-weight: 600; margin: .3rem 0; }

.tabs { list-style: none; display: flex; gap: .25rem; padding: 0; margin: 0 0 1rem; border-bottom: 2px solid var(--line); }
.tabs button { background: transparent; color: var(--ink); border: 1px solid transparent; border-bottom: none; border-radius: 4px 4px 0 0; padding: .5rem 1rem; }
.tabs button[aria-current="page"] { background: var(--paper); border-color: var(--line); font-weight: 700; box-shadow: 0 2px 0 var(--paper); }

.view { background: var(--paper); border: 1px solid var(--line); border-radius: 6px; padding: 1rem 1.25rem; }
.view-head { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
.view-head h2 { margin: 0 0 .5rem; font-size: 1.25rem; }
.as-of { color: var(--muted); margin: 0; font-size: .85rem; }
.view-head button { margin-left: auto; }
.note { color: var(--muted); font-size: .82rem; }
.key { color: var(--muted); font-size: .82rem; margin: .2rem 0 .6rem; }
.swatch { display: inline-block; width: .9rem; height: .7rem; vertical-align: middle; margin-left: .6rem; border: 1px solid #8892a0; }
.swatch.spent { background: var(--spent); }
.swatch.flight { background: repeating-linear-gradient(45deg, var(--flight) 0 3px, #ffd27a 3px 6px); }
.swatch.left { background: var(--left); }
.swatch.limit { width: 3px; background: var(--ink); border: none; height: .9rem; }

.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0 1rem; }
caption { text-align: left; color: var(--muted); font-size: .85rem; padding-bottom: .4rem; }
th, td { text-align: left; vertical-align: top; padding: .45rem .55rem; border-bottom: 1px solid var(--line); }
thead th { background: var(--band); font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); border-bottom: 2px solid var(--line); white-space: nowrap; }
tbody tr.more td { border-top: 1px dashed var(--line); }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.strong { font-weight: 700; }
th.grant { white-space: nowrap; padding-left: calc(.55rem + var(--depth, 0) * 1.4rem); }
th.grant .id { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-weight: 700; }
th.grant .branch { color: var(--muted); }
th.grant .scope { font-weight: 400; color: var(--muted); font-size: .8rem; margin-top: .1rem; }
td.owner { max-width: 16rem; }
td.renews, td.window div, .nowrap { white-space: nowrap; }
td.why { max-width: 22rem; }
td.empty { color: var(--muted); text-align: center; padding: 1.2rem; }
tr.busy { background: #fff8ea; }

.burn { min-width: 15rem; max-width: 18rem; }
.bar { position: relative; display: flex; height: .8rem; width: 100%; max-width: 16rem; background: var(--band); border: 1px solid #aab3bf; border-radius: 3px; overflow: hidden; }
.bar.small { max-width: 12rem; }
.seg { display: block; height: 100%; }
.seg.spent { background: var(--spent); }
.seg.flight { background: repeating-linear-gradient(45deg, var(--flight) 0 3px, #ffd27a 3px 6px); }
.seg.left { background: var(--left); }
.seg.over { background: var(--over); }
.bar .limit { position: absolute; top: -1px; bottom: -1px; width: 3px; margin-left: -1px; background: var(--ink); }
.legend { font-size: .8rem; margin-top: .2rem; font-variant-numeric: tabular-nums; }
.legend > span { white-space: nowrap; }
.legend .pct { color: var(--muted); }

.badge { display: inline-block; padding: .1rem .45rem; border-radius: 999px; font-size: .8rem; font-weight: 600; white-space: nowrap; border: 1px solid currentColor; }
.tier-green { background: var(--green-bg); color: var(--green-ink); }
.tier-amber { background: var(--amber-bg); color: var(--amber-ink); }
.tier-red { background: var(--red-bg); color: var(--red-ink); }
.tier-grey { background: var(--grey-bg); color: var(--grey-ink); }
.tier-blue { background: var(--blue-bg); color: var(--blue-ink); }
.soon { background: var(--amber-bg); color: var(--amber-ink); font-weight: 700; padding: .05rem .3rem; border-radius: 3px; }

.total { font-size: 1.05rem; }
.total strong { font-size: 1.4rem; font-variant-numeric: tabular-nums; }

td.decide { width: 14rem; min-width: 12rem; }
td.decide label { display: block; font-size: .78rem; color: var(--muted); }
td.decide input { display: block; width: 100%; min-width: 8rem; margin: .15rem 0 .3rem; }
.buttons { display: flex; gap: .4rem; }

.forms { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; margin-top: 1rem; }
.card { display: grid; gap: .3rem; align-content: start; border: 1px solid var(--line); border-radius: 6px; padding: 1rem; background: var(--band); }
.card h3 { margin: 0; }
.card label { font-weight: 600; font-size: .88rem; margin-top: .3rem; }
.card button { justify-self: start; margin-top: .6rem; }

/* My key (a virtual key's holder) */
dl.identity { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .5rem 0 1rem; }
dl.identity dt, dl.facts dt { font-weight: 600; }
dl.identity dd, dl.facts dd { margin: 0; }
ol.grant-cards { list-style: none; padding: 0; display: grid; gap: .8rem; max-width: 52rem; }
.grant-card { margin-left: calc(var(--depth, 0) * 1.5rem); }
.grant-card h4 { margin: 0; }
.grant-card h4 .id { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
.grant-card h4 .scope { font-weight: 400; color: var(--muted); font-size: .85rem; }
.grant-card .burn { max-width: none; }
.grant-card .bar { max-width: none; height: 1rem; }
.grant-card .bucket-head { display: flex; justify-content: space-between; align-items: center; font-size: .9rem; margin-top: .3rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .8rem; margin: .4rem 0 0; font-size: .88rem; }
dl.facts pre { margin: .3rem 0 0; white-space: pre-wrap; word-break: break-all; font-size: .8rem; }

/* Spend over time */
.controls { display: flex; flex-wrap: wrap; align-items: center; gap: .6rem 1rem; margin: .5rem 0; }
.controls fieldset { display: flex; gap: .8rem; border: 1px solid var(--line); border-radius: 6px; padding: .2rem .7rem; margin: 0; }
.controls legend { font-size: .8rem; color: var(--muted); }
.charts { display: grid; gap: 1.2rem; }
.spend-series { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; }
.spend-series figcaption { margin-bottom: .3rem; }
svg.chart { display: block; width: 100%; max-width: 48rem; height: auto; font-size: 11px; }
svg.chart .axis { stroke: var(--ink); stroke-width: 1; }
svg.chart .grid { stroke: var(--line); stroke-width: 1; }
svg.chart .tick { fill: var(--muted); }
svg.chart .spend-bar { fill: var(--spent); }
svg.chart line.baseline { stroke: #1f6f43; stroke-width: 2; }
svg.chart line.alert-line { stroke: #b3261e; stroke-width: 2; }
svg.chart text.line-label.baseline { fill: #1f6f43; font-weight: 600; }
svg.chart text.line-label.alert-line { fill: #b3261e; font-weight: 600; }
svg.chart .alert-mark line { stroke: #b3261e; stroke-width: 1; stroke-dasharray: 1 2; }
svg.chart .alert-mark path { fill: #b3261e; }
svg.chart .alert-mark.warning path { fill: #a15c00; }
.swatch.baseline-key { border: none; border-top: 3px dashed #1f6f43; height: 0; }
.swatch.alert-key { border: none; border-top: 3px dotted #b3261e; height: 0; }
.marker-key { color: #b3261e; }
.spend-table { font-size: .85rem; }

/* Chargeback */
a.button { display: inline-block; font: inherit; padding: .3rem .75rem; border: 1px solid var(--accent); border-radius: 4px; background: var(--paper); color: var(--accent); text-decoration: none; font-weight: 600; }
a.button:hover { background: var(--blue-bg); }
.exports { margin: 0 0 0 auto; display: flex; align-items: center; gap: .5rem; color: var(--muted); font-size: .88rem; }
#chargeback-table { font-size: .88rem; }
#chargeback-table thead th { white-space: normal; vertical-align: bottom; }
#chargeback-table th, #chargeback-table td { padding: .4rem .45rem; }
tfoot th { white-space: nowrap; }
#forecast-form { max-width: 34rem; }
ul.notes { color: var(--muted); font-size: .82rem; margin: -.4rem 0 1rem; padding-left: 1.2rem; }
tfoot .total-row th, tfoot .total-row td { border-top: 2px solid var(--ink); border-bottom: none; font-weight: 700; }
td .second { margin-top: .25rem; padding-top: .25rem; border-top: 1px dotted var(--line); }
.change { white-space: nowrap; font-variant-numeric: tabular-nums; }
.change.up { color: var(--red-ink); }
.change.down { color: var(--green-ink); }
.change.flat, .change.none { color: var(--muted); }
svg.spark { display: block; }
svg.spark .axis { stroke: var(--line); stroke-width: 1; }
svg.spark path { fill: none; stroke: var(--spent); stroke-width: 2; }
svg.spark circle { fill: var(--spent); }
.fbars { display: grid; gap: .2rem; min-width: 16rem; }
.fbar { display: grid; grid-template-columns: 10rem auto; align-items: center; gap: .5rem; font-size: .8rem; font-variant-numeric: tabular-nums; white-space: nowrap; }
.fbar.none { display: block; color: var(--muted); }
.fbar .track { display: block; height: .7rem; background: var(--band); border-radius: 2px; }
.fbar .fill { display: block; height: 100%; border-radius: 2px; }
.fbar.forecast .fill { background: var(--paper); border: 2px solid var(--ink); }
.fbar.actual .fill { background: var(--spent); }
.swatch.forecast-key { background: var(--paper); border: 2px solid var(--ink); }
"""#
}
