/// The dashboard's one HTML page (GET /dashboard). The script
/// (DashboardScript) fills it from the admin API; the style is DashboardStyle.
/// No inline script or style: the page's Content-Security-Policy forbids them.
enum DashboardPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tollgate dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
<script src="/dashboard/assets/dashboard.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <h1>Tollgate</h1>
  <p id="who" class="who" hidden></p>
  <button id="sign-out" type="button" hidden>Sign out</button>
</header>
<noscript><p class="error">The dashboard needs JavaScript. The same figures are in the admin API and <code>tollgate allocation</code>.</p></noscript>
<main id="main">

<section id="sign-in" class="sign-in" aria-labelledby="sign-in-title" hidden>
  <h2 id="sign-in-title">Sign in</h2>
  <p>Use the master key or an admin credential: approver, team admin or viewer. Each sees what its role and scope allow.
  Or use your own virtual key: you then see your key and the grants above it.</p>
  <form id="sign-in-form">
    <label for="credential">Credential</label>
    <input id="credential" name="credential" type="password" autocomplete="current-password" required>
    <button type="submit">Sign in</button>
  </form>
  <p id="sign-in-error" class="error" role="alert"></p>
</section>

<div id="app" hidden>
  <nav aria-label="Views">
    <ul class="tabs">
      <li><button type="button" data-view="allocation">Allocation</button></li>
      <li><button type="button" data-view="inflight">In flight now</button></li>
      <li><button type="button" data-view="exceptions">Exceptions</button></li>
      <li><button type="button" data-view="spend">Spend over time</button></li>
      <li><button type="button" data-view="chargeback">Chargeback</button></li>
      <li><button type="button" data-view="alerts">Alerts</button></li>
      <li hidden><button type="button" data-view="mykey">My key</button></li>
    </ul>
  </nav>

  <section id="view-allocation" class="view" data-panel="allocation" aria-labelledby="h-allocation" hidden>
    <div class="view-head">
      <h2 id="h-allocation">Allocation</h2>
      <p class="as-of" id="allocation-as-of"></p>
      <button type="button" data-refresh="allocation">Refresh</button>
    </div>
    <p id="allocation-error" class="error" role="alert"></p>
    <p class="key" aria-hidden="true"><span class="swatch spent"></span> spent <span class="swatch flight"></span> in flight <span class="swatch left"></span> remaining <span class="swatch limit"></span> the amount, when passed</p>
    <div class="scroll">
    <table id="allocation-table">
      <caption>Every grant you may see, as the tree: spent, in flight and remaining per class, from <code>GET /admin/allocation</code>.</caption>
      <thead><tr>
        <th scope="col">Grant and scope</th><th scope="col">Owner</th><th scope="col">Period</th>
        <th scope="col">Class</th><th scope="col" class="num">Amount</th><th scope="col">Burn-down</th><th scope="col">Tier</th>
        <th scope="col">Renews</th><th scope="col">Rationale</th>
      </tr></thead>
      <tbody id="allocation-body"></tbody>
    </table>
    </div>
    <h3 id="h-capacity">Capacity</h3>
    <div class="scroll">
    <table id="capacity-table" aria-labelledby="h-capacity">
      <thead><tr><th scope="col">Measure</th><th scope="col" class="num">Allocated</th><th scope="col" class="num">Purchased</th><th scope="col">Share</th></tr></thead>
      <tbody id="capacity-body"></tbody>
    </table>
    </div>
    <p id="capacity-pools" class="note"></p>
  </section>

  <section id="view-inflight" class="view" data-panel="inflight" aria-labelledby="h-inflight" hidden>
    <div class="view-head">
      <h2 id="h-inflight">In flight now</h2>
      <p class="as-of" id="inflight-as-of"></p>
    </div>
    <p id="inflight-error" class="error" role="alert"></p>
    <p class="total">Reserved by requests in flight: <strong id="inflight-total">—</strong> <span class="note">(the top grants you see; refreshed every 3 s)</span></p>
    <div class="scroll">
    <table id="inflight-table">
      <caption>Money reserved right now by requests still running, per grant (<code>reserved_nanos</code> of <code>GET /admin/allocation</code>); a grant counts its children's requests too.</caption>
      <thead><tr>
        <th scope="col">Grant</th><th scope="col">Class</th><th scope="col" class="num">In flight</th><th scope="col" class="num">Spent</th>
        <th scope="col" class="num">Remaining</th><th scope="col" class="num">Amount</th><th scope="col">In flight, against the largest</th>
      </tr></thead>
      <tbody id="inflight-body"></tbody>
    </table>
    </div>
  </section>

  <section id="view-exceptions" class="view" data-panel="exceptions" aria-labelledby="h-exceptions" hidden>
    <div class="view-head">
      <h2 id="h-exceptions">Exceptions</h2>
      <p class="as-of" id="exceptions-as-of"></p>
      <button type="button" data-refresh="exceptions">Refresh</button>
    </div>
    <p id="exceptions-error" class="error" role="alert"></p>
    <p id="exceptions-message" class="message" role="status"></p>
    <div class="scroll">
    <table id="exceptions-table">
      <caption>The exception log: requests, burst draws and their decisions, from <code>GET /admin/exceptions</code>.</caption>
      <thead><tr id="exceptions-head">
        <th scope="col">ID</th><th scope="col">Kind</th><th scope="col">Grant</th><th scope="col" class="num">Amount</th>
        <th scope="col">Window (UTC)</th><th scope="col">Status</th><th scope="col">Requester</th><th scope="col">Reason</th>
        <th scope="col">Approver</th><th scope="col">Condition</th><th scope="col" class="num">Spent under</th>
      </tr></thead>
      <tbody id="exceptions-body"></tbody>
    </table>
    </div>

    <div id="request-forms" class="forms" hidden>
      <form id="request-form" class="card" data-endpoint="/admin/exceptions">
        <h3>Request an exception</h3>
        <p class="note">A time-boxed raise of one of your grants; an approver decides it.</p>
        <label for="request-grant">Grant</label>
        <select id="request-grant" name="grant" data-grant-select required></select>
        <label for="request-class">Class</label>
        <select id="request-class" name="class" data-class-select></select>
        <label for="request-amount">Amount (USD)</label>
        <input id="request-amount" name="amount" inputmode="decimal" required placeholder="6">
        <label for="request-ends">Ends (UTC date)</label>
        <input id="request-ends" name="ends" type="date" required>
        <label for="request-reason">Reason</label>
        <textarea id="request-reason" name="reason" rows="3" required></textarea>
        <label for="request-use-case">Use case (optional)</label>
        <input id="request-use-case" name="use_case">
        <button type="submit">File the request</button>
      </form>
      <form id="burst-form" class="card" data-endpoint="/admin/burst/draws">
        <h3>Draw from the burst pool</h3>
        <p class="note">Within your team's borrowing limit it is granted at once; above it, it is filed for an approver.</p>
        <label for="burst-grant">Grant</label>
        <select id="burst-grant" name="grant" data-grant-select required></select>
        <label for="burst-class">Class</label>
        <select id="burst-class" name="class" data-class-select></select>
        <label for="burst-amount">Amount (USD)</label>
        <input id="burst-amount" name="amount" inputmode="decimal" required placeholder="3">
        <label for="burst-ends">Ends (UTC date)</label>
        <input id="burst-ends" name="ends" type="date" required>
        <label for="burst-reason">Reason</label>
        <textarea id="burst-reason" name="reason" rows="3" required></textarea>
        <button type="submit">Draw</button>
      </form>
    </div>
  </section>

  <section id="view-mykey" class="view" data-panel="mykey" aria-labelledby="h-mykey" hidden>
    <div class="view-head">
      <h2 id="h-mykey">My key</h2>
      <p class="as-of" id="mykey-as-of"></p>
      <button type="button" data-refresh="mykey">Refresh</button>
    </div>
    <p id="mykey-error" class="error" role="alert"></p>
    <dl id="mykey-identity" class="identity"></dl>
    <p id="mykey-note" class="note"></p>
    <h3 id="h-mykey-grants">The grants above your key</h3>
    <p class="note">Every request with your key is charged on each of these (from <code>GET /admin/me</code>, the figures of
    <code>GET /admin/allocation</code>). The first to reach its cap is the one you meet.</p>
    <p class="key" aria-hidden="true"><span class="swatch spent"></span> spent <span class="swatch flight"></span> in flight <span class="swatch left"></span> remaining <span class="swatch limit"></span> the amount, when passed</p>
    <ol id="mykey-grants" class="grant-cards" aria-labelledby="h-mykey-grants"></ol>
  </section>

  <section id="view-spend" class="view" data-panel="spend" aria-labelledby="h-spend" hidden>
    <div class="view-head">
      <h2 id="h-spend">Spend over time</h2>
      <p class="as-of" id="spend-as-of"></p>
      <button type="button" data-refresh="spend">Refresh</button>
    </div>
    <p id="spend-error" class="error" role="alert"></p>
    <form id="spend-controls" class="controls">
      <label for="spend-by">Group by</label>
      <select id="spend-by" name="by">
        <option value="team">Team</option><option value="grant">Grant</option>
        <option value="model">Model</option><option value="feature">Feature</option>
      </select>
      <fieldset class="bucket">
        <legend>Buckets</legend>
        <label><input type="radio" name="bucket" value="day" checked> Days (14)</label>
        <label><input type="radio" name="bucket" value="hour"> Hours (48)</label>
      </fieldset>
    </form>
    <p class="key" aria-hidden="true"><span class="swatch spent"></span> spent per bucket <span class="swatch baseline-key"></span> anomaly baseline (dashed) <span class="swatch alert-key"></span> alert line: baseline × factor (dashed) <span class="marker-key">▲</span> an alert that day</p>
    <p class="note">From <code>GET /admin/spend</code> (the ledger), <code>GET /admin/anomaly/baseline</code> and <code>GET /admin/alerts</code>. A request charged to several grants counts under each of them. Each chart has its numbers in a table under it.</p>
    <div id="spend-charts" class="charts"></div>
  </section>

  <section id="view-chargeback" class="view" data-panel="chargeback" aria-labelledby="h-chargeback" hidden>
    <div class="view-head">
      <h2 id="h-chargeback">Chargeback</h2>
      <p class="as-of" id="chargeback-as-of"></p>
      <button type="button" data-refresh="chargeback">Refresh</button>
    </div>
    <p id="chargeback-error" class="error" role="alert"></p>
    <form id="chargeback-controls" class="controls">
      <fieldset class="bucket">
        <legend>Period</legend>
        <label><input type="radio" name="period" value="current" checked> This month</label>
        <label><input type="radio" name="period" value="previous"> Last month</label>
      </fieldset>
      <label for="chargeback-by">Group by</label>
      <select id="chargeback-by" name="by">
        <option value="team">Team</option><option value="grant">Grant</option>
        <option value="owner">Grant owner</option><option value="feature">Feature</option>
      </select>
      <p class="exports" aria-label="Export">Download:
        <a id="export-csv" class="button" href="/admin/finance/chargeback?format=csv" download>Chargeback CSV</a>
        <a id="export-focus" class="button" href="/admin/finance/focus" download>FOCUS export</a>
      </p>
    </form>
    <div class="scroll">
    <table id="chargeback-table">
      <caption id="chargeback-caption">Spend, share of the bill and cost per outcome, against the previous period (<code>GET /admin/finance/chargeback</code>).</caption>
      <thead><tr id="chargeback-head"></tr></thead>
      <tbody id="chargeback-body"></tbody>
      <tfoot id="chargeback-foot"></tfoot>
    </table>
    </div>
    <ul id="chargeback-notes" class="notes"></ul>

    <h3 id="h-trend">Cost per outcome, with the trend</h3>
    <p class="note">Each month's figure is that month's chargeback by team (<code>GET /admin/finance/chargeback?by=team&amp;period=MONTH</code>): the team's spend over the outcomes it reported (<code>POST /v1/outcomes</code>). A dash: no outcomes that month.</p>
    <div class="scroll">
    <table id="trend-table" aria-labelledby="h-trend">
      <thead><tr id="trend-head"></tr></thead>
      <tbody id="trend-body"></tbody>
    </table>
    </div>

    <h3 id="h-forecast">Forecast vs actual</h3>
    <p class="key" aria-hidden="true"><span class="swatch forecast-key"></span> forecast (outlined) <span class="swatch spent"></span> actual</p>
    <div class="scroll">
    <table id="forecast-table">
      <caption id="forecast-caption">Each team's forecast and its actual spend, the period and the ones before it, and the haircut the rule recommends (<code>GET /admin/finance/forecast</code>).</caption>
      <thead><tr>
        <th scope="col">Team</th><th scope="col">Period</th><th scope="col" class="num">Forecast</th><th scope="col" class="num">Actual</th>
        <th scope="col">Forecast and actual</th><th scope="col" class="num">Accuracy</th><th scope="col" class="num">Error</th>
        <th scope="col">Peak</th><th scope="col">Events</th><th scope="col" class="num">Haircut → next grant</th>
      </tr></thead>
      <tbody id="forecast-body"></tbody>
      <tfoot id="forecast-foot"></tfoot>
    </table>
    </div>
    <ul id="forecast-notes" class="notes"></ul>

    <h3 id="h-forecasts">Forecasts submitted</h3>
    <div class="scroll">
    <table id="forecasts-table" aria-labelledby="h-forecasts">
      <thead><tr>
        <th scope="col">Team</th><th scope="col">Period</th><th scope="col" class="num">Amount</th><th scope="col">Peak</th>
        <th scope="col">Events</th><th scope="col">Note</th><th scope="col">Submitted by</th><th scope="col">At (UTC)</th>
      </tr></thead>
      <tbody id="forecasts-body"></tbody>
    </table>
    </div>
    <p id="forecast-message" class="message" role="status"></p>
    <p id="forecast-error" class="error" role="alert"></p>
    <div class="forms">
      <form id="forecast-form" class="card" hidden>
        <h3>Submit a forecast</h3>
        <p class="note">What your team expects to spend (<code>POST /admin/forecasts</code>). A later one for the same period replaces it.</p>
        <label for="forecast-team">Team</label>
        <select id="forecast-team" name="team" required></select>
        <label for="forecast-period">Period</label>
        <select id="forecast-period" name="period"><option value="next">Next month</option><option value="current">This month</option></select>
        <label for="forecast-amount">Amount (USD)</label>
        <input id="forecast-amount" name="amount" inputmode="decimal" required placeholder="1300">
        <label for="forecast-peak">Peak day over an average day (optional)</label>
        <input id="forecast-peak" name="peak_multiplier" inputmode="decimal" placeholder="1.5">
        <label for="forecast-events">Events that drive it (optional, one a line)</label>
        <textarea id="forecast-events" name="events" rows="2"></textarea>
        <label for="forecast-note">Note (optional)</label>
        <input id="forecast-note" name="note">
        <button type="submit">Submit the forecast</button>
      </form>
    </div>
  </section>

  <section id="view-alerts" class="view" data-panel="alerts" aria-labelledby="h-alerts" hidden>
    <div class="view-head">
      <h2 id="h-alerts">Alerts</h2>
      <p class="as-of" id="alerts-as-of"></p>
      <button type="button" data-refresh="alerts">Refresh</button>
    </div>
    <p id="alerts-error" class="error" role="alert"></p>
    <div class="scroll">
    <table id="alerts-table">
      <caption>The last alerts delivered since the gateway started, newest first (<code>GET /admin/alerts</code>).</caption>
      <thead><tr>
        <th scope="col">Time (UTC)</th><th scope="col">Severity</th><th scope="col">Kind</th><th scope="col">Subject</th>
        <th scope="col">Message</th><th scope="col">Sent to</th>
      </tr></thead>
      <tbody id="alerts-body"></tbody>
    </table>
    </div>
  </section>
</div>
</main>
</body>
</html>
"""#
}
