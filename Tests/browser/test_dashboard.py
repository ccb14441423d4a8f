"""The dashboard in a real browser (headless Chromium), against the real
gateway on config/demo.yaml: every role signs in through the page and sees
what its role allows; a team admin files an exception through the page, the
approver approves it through the page, and the master key reads it back as
approved from the admin API. A screenshot of every view is saved to the
folder the run prints ($TOLLGATE_SCREENSHOTS, else
/tmp/tollgate-dashboard-shots).

The tests share one gateway and one browser, and run in file order: the
viewer's and the approver's tests look at what the team admin's test filed."""
import datetime
import json
import threading
import urllib.error
import urllib.request

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import MASTER

VIEWER = "tg-demo-finance-viewer"
TEAM_ADMIN = "tg-demo-recs-admin"
APPROVER = "tg-demo-chair"
KEY_HOLDER = "tg-demo-key-0004"  # recs-prod: team demo/recs, production
DEMO_GRANTS = {"demo", "platform", "search", "recs", "recs-carousel"}
RECS_GRANTS = {"recs", "recs-carousel", "recs-email", "recs-digest", "recs-push"}
REASON = "holiday campaign doubles homepage traffic"

shared = {}


# --- the gateway, through the admin API and the proxy ------------------------

def call(base, method, path, credential=MASTER, body=None, headers=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    auth = {"authorization": f"Bearer {credential}"} if credential else {}
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={**auth, "content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def chat(base, key, model="demo-small", feature=None, stream=False, timeout=10):
    headers = {"x-tollgate-feature": feature} if feature else {}
    body = {"model": model, "max_tokens": 32, "stream": stream,
            "messages": [{"role": "user", "content": "Suggest three items for the homepage."}]}
    return call(base, "POST", "/v1/chat/completions", credential=key, body=body, headers=headers, timeout=timeout)


@pytest.fixture(scope="module")
def filled(gateway):
    """Spend on every demo key, a feature grant the recs team delegates
    (renewing in ten days, so the page highlights it), and a burst draw."""
    for key, feature in [("tg-demo-key-0001", None), ("tg-demo-key-0002", None), ("tg-demo-key-0003", None),
                         ("tg-demo-key-0004", "carousel"), ("tg-demo-key-0004", None), ("tg-demo-key-0005", None)]:
        for _ in range(3):
            status, text = chat(gateway, key, feature=feature)
            assert status == 200, text
    renews = (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=10)).isoformat()
    status, text = call(gateway, "POST", "/admin/grants", credential=TEAM_ADMIN, body={
        "id": "recs-email", "scope": "feature/demo/recs/email", "owner": "email-pm@example.com", "class": "production",
        "amount": "1.50", "period": "monthly", "renews": renews, "rationale": "weekly digest pilot"})
    assert status == 201, text
    # Two tiny feature grants, spent into their tiers: warn (80%) and amber
    # (production past 110% of its amount, failing open up to 150%).
    for grant, target in (("recs-digest", "warn"), ("recs-push", "amber")):
        status, text = call(gateway, "POST", "/admin/grants", credential=TEAM_ADMIN, body={
            "id": grant, "scope": f"feature/demo/recs/{grant[5:]}", "owner": "growth-pm@example.com", "class": "production",
            "amount": "0.0001", "period": "daily", "renews": "2027-03-31", "rationale": {"text": "tier demo", "priority": 3}})
        assert status == 201, text
        for _ in range(40):
            chat(gateway, "tg-demo-key-0004", feature=grant[5:])  # a 429 at the hard tier is fine too
            if tier_of(gateway, grant) == target:
                break
        assert tier_of(gateway, grant) == target
    return gateway


def tier_of(base, grant):
    status, text = call(base, "GET", "/admin/allocation")
    assert status == 200, text
    return next(g for g in json.loads(text)["grants"] if g["id"] == grant)["buckets"][0]["tier"]


# --- the page ---------------------------------------------------------------------

def wait(driver, condition, timeout=10, message=""):
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition, message)


def shot(driver, folder, name):
    """The whole page, from its top (Chromium's DevTools capture beyond the viewport)."""
    import base64
    driver.execute_script("window.scrollTo(0, 0)")
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    picture = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    with open(f"{folder}/{name}.png", "wb") as f:
        f.write(base64.b64decode(picture["data"]))


def sign_in(driver, base, credential):
    driver.get(base + "/dashboard")
    field = wait(driver, lambda d: d.find_element(By.ID, "credential") if d.find_element(By.ID, "credential").is_displayed() else False)
    field.clear()
    field.send_keys(credential + Keys.ENTER)  # the keyboard alone signs in
    wait(driver, lambda d: d.find_element(By.ID, "app").is_displayed(), message="the page did not sign in")


def sign_out(driver):
    driver.find_element(By.ID, "sign-out").click()
    wait(driver, lambda d: d.find_element(By.ID, "sign-in").is_displayed())
    assert "Signed out" in driver.find_element(By.ID, "sign-in-error").text


def open_view(driver, name):
    driver.find_element(By.CSS_SELECTOR, f"[data-view='{name}']").click()
    wait(driver, lambda d: d.find_element(By.ID, f"view-{name}").is_displayed())
    wait(driver, lambda d: d.find_element(By.ID, f"{name}-as-of").text != "", message=f"{name} did not load")
    assert driver.find_element(By.ID, f"{name}-error").text == ""


def grants_shown(driver):
    return {row.get_attribute("data-grant") for row in driver.find_elements(By.CSS_SELECTOR, "#allocation-body tr[data-grant]")}


def decision_buttons(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#exceptions-body button[data-action]")


def exception_row(driver, exception_id):
    return driver.find_element(By.CSS_SELECTOR, f"#exceptions-body tr[data-exception='{exception_id}']")


# --- the tests ----------------------------------------------------------------------

def test_a_wrong_credential_is_refused_with_the_gateways_message(gateway, browser, shots):
    browser.get(gateway + "/dashboard")
    field = wait(browser, lambda d: d.find_element(By.ID, "credential"))
    wait(browser, lambda d: field.is_displayed())
    assert browser.find_element(By.ID, "app").is_displayed() is False
    field.send_keys("tg-not-a-credential")
    browser.find_element(By.CSS_SELECTOR, "#sign-in-form button[type=submit]").click()
    error = wait(browser, lambda d: d.find_element(By.ID, "sign-in-error").text)
    assert "neither the master key nor a credential" in error
    assert browser.get_cookie("tollgate_session") is None
    shot(browser, shots, "01-sign-in-refused")


def test_the_team_admin_sees_its_team_only_and_files_a_request_through_the_page(filled, browser, shots):
    sign_in(browser, filled, TEAM_ADMIN)
    open_view(browser, "allocation")
    assert grants_shown(browser) == RECS_GRANTS
    shot(browser, shots, "02-team-admin-allocation")

    open_view(browser, "exceptions")
    assert decision_buttons(browser) == []
    form = browser.find_element(By.ID, "request-form")
    assert form.is_displayed()
    grant_options = {o.get_attribute("value") for o in Select(browser.find_element(By.ID, "request-grant")).options}
    assert grant_options == RECS_GRANTS
    Select(browser.find_element(By.ID, "request-grant")).select_by_value("recs")
    Select(browser.find_element(By.ID, "request-class")).select_by_value("production")
    browser.find_element(By.ID, "request-amount").send_keys("2")
    browser.find_element(By.ID, "request-reason").send_keys(REASON)
    browser.find_element(By.ID, "request-use-case").send_keys("campaign")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    message = wait(browser, lambda d: d.find_element(By.ID, "exceptions-message").text or d.find_element(By.ID, "exceptions-error").text)
    assert "filed" in message, message
    exception_id = message.split()[0]
    assert exception_row(browser, exception_id).get_attribute("data-status") == "pending"
    shared["filed"] = exception_id

    # A burst draw inside the team's borrowing limit is granted at once.
    Select(browser.find_element(By.ID, "burst-grant")).select_by_value("recs")
    Select(browser.find_element(By.ID, "burst-class")).select_by_value("production")
    browser.find_element(By.ID, "burst-amount").send_keys("1")
    browser.find_element(By.ID, "burst-reason").send_keys("launch day of the new carousel")
    browser.find_element(By.CSS_SELECTOR, "#burst-form button[type=submit]").click()
    wait(browser, lambda d: "Granted" in d.find_element(By.ID, "exceptions-message").text,
         message="the burst draw was not granted: " + browser.find_element(By.ID, "exceptions-error").text)
    # A refusal shows the gateway's own words: a reason that is too short.
    browser.find_element(By.ID, "request-amount").send_keys("1")
    browser.find_element(By.ID, "request-reason").send_keys("more")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    error = wait(browser, lambda d: d.find_element(By.ID, "exceptions-error").text)
    assert "reason" in error, error
    shot(browser, shots, "03-team-admin-exceptions")

    # Its team's alerts: the tier alerts of the grants it delegated.
    open_view(browser, "alerts")
    subjects = {row.find_elements(By.TAG_NAME, "td")[3].text for row in browser.find_elements(By.CSS_SELECTOR, "#alerts-body tr[data-kind]")}
    assert "feature/demo/recs/digest" in subjects
    assert all(s.startswith("feature/demo/recs/") or s.startswith("recs") for s in subjects), subjects
    sign_out(browser)


def test_the_viewer_reads_everything_in_its_org_and_can_change_nothing(filled, browser, shots):
    sign_in(browser, filled, VIEWER)
    cookie = browser.get_cookie("tollgate_session")
    assert cookie and cookie["httpOnly"] and cookie.get("sameSite") == "Strict"
    assert "finance (viewer, org/demo)" in browser.find_element(By.ID, "who").text
    open_view(browser, "allocation")
    assert grants_shown(browser) == DEMO_GRANTS | RECS_GRANTS
    # Words beside every colour: each bucket has a tier label.
    tiers = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "#allocation-body td.tier")]
    assert tiers and all(tiers)
    def tier(grant):
        return browser.find_element(By.CSS_SELECTOR, f"#allocation-body tr[data-grant='{grant}'] td.tier").text
    assert "OK" in tier("recs-email")
    assert "Warn" in tier("recs-digest")
    assert "Amber" in tier("recs-push")
    # recs-email renews in ten days: highlighted, and said in words.
    soon = browser.find_element(By.CSS_SELECTOR, "#allocation-body tr[data-grant='recs-email'] .soon")
    assert "in 10 days" in soon.text or "in 11 days" in soon.text
    assert browser.find_elements(By.CSS_SELECTOR, "#capacity-body tr")
    shot(browser, shots, "04-viewer-allocation")

    # A tab is a real button: the keyboard opens it.
    tab = browser.find_element(By.CSS_SELECTOR, "[data-view='exceptions']")
    tab.send_keys(Keys.ENTER)
    wait(browser, lambda d: d.find_element(By.ID, "view-exceptions").is_displayed())
    wait(browser, lambda d: d.find_element(By.ID, "exceptions-as-of").text != "")
    # The team admin's request is pending, and the viewer cannot decide it.
    assert exception_row(browser, shared["filed"]).get_attribute("data-status") == "pending"
    assert decision_buttons(browser) == []
    assert not browser.find_element(By.ID, "request-forms").is_displayed()
    assert not browser.find_element(By.ID, "request-form").is_displayed()
    shot(browser, shots, "05-viewer-exceptions")
    sign_out(browser)
    assert browser.get_cookie("tollgate_session") is None


def test_the_viewer_sees_spend_over_time_with_the_baseline_and_the_numbers(filled, browser, shots):
    sign_in(browser, filled, VIEWER)
    open_view(browser, "spend")
    charts = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#spend-charts figure.spend-series"),
                  message="no spend chart")
    keys = {figure.get_attribute("data-key") for figure in charts}
    # The viewer's scope is org demo: its teams only, as the route answers.
    status, text = call(filled, "GET", "/admin/spend?by=team&bucket=day&days=14", credential=VIEWER)
    assert status == 200, text
    series = json.loads(text)["series"]
    assert keys == {s["key"] for s in series[:8]} and keys and all(k.startswith("demo/") for k in keys)
    for figure in charts:
        chart = figure.find_element(By.CSS_SELECTOR, "svg.chart")
        assert chart.get_attribute("role") == "img"
        assert chart.find_element(By.TAG_NAME, "title").get_attribute("textContent").startswith("Spend per day")
        assert "in all" in chart.find_element(By.TAG_NAME, "desc").get_attribute("textContent")
        # The numbers in a table under the chart, one row per day.
        table = figure.find_element(By.CSS_SELECTOR, "details table.spend-table")
        assert len(table.find_elements(By.CSS_SELECTOR, "tbody tr")) == 14
    # The table's figures are the route's.
    recs = next(s for s in series if s["key"] == "demo/recs")
    figure = browser.find_element(By.CSS_SELECTOR, "figure.spend-series[data-key='demo/recs']")
    figure.find_element(By.TAG_NAME, "summary").click()
    last = figure.find_elements(By.CSS_SELECTOR, "tbody tr")[-1]
    assert last.find_element(By.TAG_NAME, "th").text == recs["points"][-1]["t"]
    assert last.find_element(By.CSS_SELECTOR, "td.num").text == money(recs["points"][-1]["cost_nanos"])
    # demo/search has a seeded week of history: the baseline and the alert
    # line are drawn behind it, dashed, and are in its table.
    status, text = call(filled, "GET", "/admin/anomaly/baseline?subject=team/demo/search", credential=VIEWER)
    assert status == 200, text
    baseline = json.loads(text)
    assert baseline["baseline_nanos"] and baseline["alert_nanos"]
    search = browser.find_element(By.CSS_SELECTOR, "figure.spend-series[data-key='demo/search']")
    assert search.find_element(By.CSS_SELECTOR, "line.baseline").get_attribute("stroke-dasharray")
    assert search.find_element(By.CSS_SELECTOR, "line.alert-line").get_attribute("stroke-dasharray")
    assert money(baseline["baseline_nanos"]) in search.find_element(By.TAG_NAME, "desc").get_attribute("textContent")
    # Every spend alert in the viewer's scope is marked on its team's chart.
    status, text = call(filled, "GET", "/admin/alerts", credential=VIEWER)
    spikes = [a for a in json.loads(text)["alerts"] if a["kind"] in ("spend_spike", "spend_projection")]
    for alert in spikes:
        team = alert["subject"].removeprefix("team/")
        if team in keys:
            marks = browser.find_elements(By.CSS_SELECTOR, f"figure.spend-series[data-key='{team}'] g.alert-mark")
            assert marks, alert
    # A team admin's view is its team only (the route narrows it).
    status, text = call(filled, "GET", "/admin/spend?by=model", credential=TEAM_ADMIN)
    assert status == 200 and json.loads(text)["series"], text
    shot(browser, shots, "06-viewer-spend-by-day")

    # The hour toggle and the selector refetch and redraw.
    browser.find_element(By.CSS_SELECTOR, "input[name=bucket][value=hour]").click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#spend-charts svg.chart title")
         and d.find_element(By.CSS_SELECTOR, "#spend-charts svg.chart title").get_attribute("textContent").startswith("Spend per hour"))
    Select(browser.find_element(By.ID, "spend-by")).select_by_value("model")
    status, text = call(filled, "GET", "/admin/spend?by=model&bucket=hour", credential=VIEWER)
    models = {s["key"] or "(none)" for s in json.loads(text)["series"][:8]}
    assert models
    wait(browser, lambda d: {f.get_attribute("data-key") for f in d.find_elements(By.CSS_SELECTOR, "#spend-charts figure")} == models,
         message="the by-model charts did not show")
    assert browser.find_element(By.ID, "spend-error").text == ""
    shot(browser, shots, "06b-viewer-spend-by-model-hourly")
    sign_out(browser)


@pytest.fixture(scope="module")
def finance(filled):
    """Outcomes for this month (recs' two metrics, search's tickets) and a
    forecast of search's for this month, so the chargeback has a cost per
    outcome and the forecast an accuracy."""
    for key, body in (("tg-demo-key-0004", {"metric": "recommendation_click", "count": 40, "feature": "carousel"}),
                      ("tg-demo-key-0004", {"metric": "qualified_lead", "count": 2}),
                      ("tg-demo-key-0003", {"metric": "resolved_ticket", "count": 5})):
        status, text = call(filled, "POST", "/v1/outcomes", credential=key, body=body)
        assert status in (200, 201, 202), text
    status, text = call(filled, "POST", "/admin/forecasts", body={"team": "demo/search", "period": "current", "amount": "5",
                                                                  "events": ["search relaunch"]})
    assert status in (200, 201), text
    return filled


def usd(text):
    """The page's usd(): a report's dollar string as the gateway writes money."""
    if text is None:
        return "—"
    return "-$" + text[1:] if text.startswith("-") else "$" + text


def report(base, path, credential):
    status, text = call(base, "GET", path, credential=credential)
    assert status == 200, text
    return json.loads(text)


def open_chargeback(driver):
    """The view, with its table, trend and forecast filled."""
    open_view(driver, "chargeback")
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#forecast-body tr[data-team]")
         and d.find_elements(By.CSS_SELECTOR, "#trend-head th"), message="the forecast and the trend did not load")
    assert driver.find_element(By.ID, "chargeback-error").text == ""


def chargeback_cell(driver, key, field):
    return driver.find_element(By.CSS_SELECTOR, f"#chargeback-body tr[data-key='{key}'] [data-field='{field}']").text


def test_the_viewer_reads_the_chargeback_with_the_routes_figures(finance, browser, shots):
    sign_in(browser, finance, VIEWER)
    open_chargeback(browser)
    data = report(finance, "/admin/finance/chargeback?period=current&by=team", VIEWER)
    period = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m")
    assert data["period"] == period
    assert browser.find_element(By.ID, "chargeback-as-of").text.startswith(period)
    # The rows are the route's, in its order, and its figures as sent.
    keys = [row.get_attribute("data-key") for row in browser.find_elements(By.CSS_SELECTOR, "#chargeback-body tr[data-key]")]
    assert keys == [row["team"] for row in data["rows"]] and keys and all(k.startswith("demo/") for k in keys)
    for row in data["rows"]:
        assert chargeback_cell(browser, row["team"], "spend") == usd(row["spend"])
        assert chargeback_cell(browser, row["team"], "share_of_bill") == (row["share_of_bill"] + "%" if row["share_of_bill"] else "—")
        assert chargeback_cell(browser, row["team"], "cost_center") == row["cost_center"]
    recs = next(row for row in data["rows"] if row["team"] == "demo/recs")
    assert recs["outcomes"] == 40 and recs["cost_per_outcome"]
    assert chargeback_cell(browser, "demo/recs", "cost_per_outcome") == usd(recs["cost_per_outcome"])
    assert chargeback_cell(browser, "demo/recs", "cost_per_outcome_2") == usd(recs["cost_per_outcome_2"])
    assert chargeback_cell(browser, "demo/recs", "outcome_metric_2") == "qualified_lead"
    assert browser.find_element(By.CSS_SELECTOR, "#chargeback-foot [data-field='spend']").text == usd(data["total"]["spend"])
    # The trend: this month's column is the same figure.
    cell = browser.find_element(By.CSS_SELECTOR, f"#trend-body tr[data-team='demo/recs'][data-metric='recommendation_click'] td[data-month='{period}']")
    assert cell.text.splitlines()[0] == usd(recs["cost_per_outcome"])
    # Forecast vs actual: search's forecast, its actual, the accuracy in words.
    forecast = report(finance, "/admin/finance/forecast?period=current", VIEWER)
    search = next(r for r in forecast["rows"] if r["team"] == "demo/search" and r["period"] == period)
    row = browser.find_element(By.CSS_SELECTOR, f"#forecast-body tr[data-team='demo/search'][data-period='{period}']")
    assert row.find_element(By.CSS_SELECTOR, "[data-field='forecast']").text == usd(search["forecast"]) == "$5.00"
    assert row.find_element(By.CSS_SELECTOR, "[data-field='actual']").text == usd(search["actual"])
    assert row.find_element(By.CSS_SELECTOR, "[data-field='accuracy']").text == search["accuracy"] + "% of forecast"
    assert "forecast $5.00" in row.text and "actual " + usd(search["actual"]) in row.text
    # The exports: GETs the session cookie authenticates.
    csv_link = browser.find_element(By.ID, "export-csv")
    assert csv_link.get_attribute("href").endswith(f"/admin/finance/chargeback?period={period}&by=team&format=csv")
    assert browser.find_element(By.ID, "export-focus").get_attribute("href").endswith(f"/admin/finance/focus?period={period}")
    token = browser.get_cookie("tollgate_session")["value"]
    status, text = call(finance, "GET", f"/admin/finance/chargeback?period={period}&by=team&format=csv", credential=None,
                        headers={"cookie": f"tollgate_session={token}"})
    assert status == 200 and text.startswith("team,") and "demo/recs" in text, text
    # A viewer submits no forecast.
    assert not browser.find_element(By.ID, "forecast-form").is_displayed()
    shot(browser, shots, "14-viewer-chargeback")

    # By feature: the key columns change, the figures stay the route's.
    Select(browser.find_element(By.ID, "chargeback-by")).select_by_value("feature")
    wait(browser, lambda d: "by feature" in d.find_element(By.ID, "chargeback-as-of").text)
    by_feature = report(finance, "/admin/finance/chargeback?period=current&by=feature", VIEWER)
    carousel = next(r for r in by_feature["rows"] if r["team"] == "demo/recs" and r["feature"] == "carousel")
    assert chargeback_cell(browser, "demo/recs|carousel", "spend") == usd(carousel["spend"])
    assert "Feature" in browser.find_element(By.ID, "chargeback-head").text.title()
    # Last month: the period picker.
    browser.find_element(By.CSS_SELECTOR, "#chargeback-controls input[name=period][value=previous]").click()
    wait(browser, lambda d: d.find_element(By.ID, "chargeback-as-of").text.startswith(data["previous_period"]))
    wait(browser, lambda d: d.find_element(By.ID, "export-focus").get_attribute("href").endswith("period=" + data["previous_period"]))
    sign_out(browser)


def test_the_team_admin_submits_its_forecast_through_the_chargeback_view(finance, browser, shots):
    sign_in(browser, finance, TEAM_ADMIN)
    open_chargeback(browser)
    data = report(finance, "/admin/finance/chargeback?period=current&by=team", TEAM_ADMIN)
    assert [r["team"] for r in data["rows"]] == ["demo/recs"]
    assert chargeback_cell(browser, "demo/recs", "spend") == usd(data["rows"][0]["spend"])
    assert {row.get_attribute("data-team") for row in browser.find_elements(By.CSS_SELECTOR, "#forecast-body tr[data-team]")} == {"demo/recs"}
    form = browser.find_element(By.ID, "forecast-form")
    assert form.is_displayed()
    assert [o.get_attribute("value") for o in Select(browser.find_element(By.ID, "forecast-team")).options] == ["demo/recs"]
    Select(browser.find_element(By.ID, "forecast-period")).select_by_value("next")
    browser.find_element(By.ID, "forecast-amount").send_keys("13")
    browser.find_element(By.ID, "forecast-peak").send_keys("1.5")
    browser.find_element(By.ID, "forecast-events").send_keys("spring sale")
    browser.find_element(By.ID, "forecast-amount").send_keys(Keys.ENTER)  # the keyboard submits it
    message = wait(browser, lambda d: d.find_element(By.ID, "forecast-message").text or d.find_element(By.ID, "forecast-error").text)
    assert message.startswith("Forecast for demo/recs"), message
    today = datetime.datetime.now(datetime.timezone.utc).date()
    following = (today.replace(day=1) + datetime.timedelta(days=32)).strftime("%Y-%m")
    forecasts = report(finance, "/admin/forecasts", TEAM_ADMIN)["forecasts"]
    mine = next(f for f in forecasts if f["team"] == "demo/recs" and f["period"] == following)
    assert mine["amount"] == "$13.00" and mine["peak_multiplier"] == "1.5x" and mine["events"] == ["spring sale"]
    assert mine["submitted_by"] == "credential:recs-admin"
    row = browser.find_element(By.CSS_SELECTOR, f"#forecasts-body tr[data-team='demo/recs'][data-period='{following}']")
    assert row.find_element(By.CSS_SELECTOR, "[data-field='amount']").text == "$13.00"
    shot(browser, shots, "15-team-admin-chargeback")
    sign_out(browser)


def money(nanos):
    """The page's money(): "$1.50", "$0.000123"."""
    dollars, rest = divmod(abs(int(nanos)), 1_000_000_000)
    fraction = f"{rest:09d}"
    fraction = fraction[:2] if rest % 10_000_000 == 0 else fraction.rstrip("0")
    return ("-$" if nanos < 0 else "$") + f"{dollars}.{fraction}"


def test_the_approver_approves_it_through_the_page(filled, browser, shots):
    exception_id = shared.get("filed")
    assert exception_id, "the team admin's test files the request this one decides"
    sign_in(browser, filled, APPROVER)
    open_view(browser, "exceptions")
    assert not browser.find_element(By.ID, "request-forms").is_displayed()
    row = exception_row(browser, exception_id)
    approve = row.find_element(By.CSS_SELECTOR, "button[data-action='approve']")
    assert approve.get_attribute("aria-label") == f"Approve {exception_id}"
    # The field is labelled.
    note = row.find_element(By.CSS_SELECTOR, f"input#decide-{exception_id}")
    assert browser.find_element(By.CSS_SELECTOR, f"label[for='decide-{exception_id}']").text
    shot(browser, shots, "06-approver-exceptions-pending")
    note.send_keys("campaign pages only")
    approve.click()
    wait(browser, lambda d: "approved" in d.find_element(By.ID, "exceptions-message").text,
         message="not approved: " + browser.find_element(By.ID, "exceptions-error").text)
    assert exception_row(browser, exception_id).get_attribute("data-status") in ("approved", "active")
    shot(browser, shots, "07-approver-exceptions-approved")

    status, text = call(filled, "GET", "/admin/exceptions")
    assert status == 200, text
    decided = next(x for x in json.loads(text)["exceptions"] if x["id"] == exception_id)
    assert decided["decision"] == "approved"
    assert decided["status"] in ("approved", "active")
    assert decided["decided_by"] == "credential:chair"
    assert decided["condition"] == "campaign pages only"

    open_view(browser, "alerts")
    kinds = {row.get_attribute("data-kind") for row in browser.find_elements(By.CSS_SELECTOR, "#alerts-body tr[data-kind]")}
    assert {"exception_requested", "exception_approved", "burst_drawn"} <= kinds
    shot(browser, shots, "08-approver-alerts")
    sign_out(browser)


def test_the_master_key_sees_everything_in_flight_and_cannot_approve_its_own_request(filled, browser, shots):
    sign_in(browser, filled, MASTER)
    assert "master key" in browser.find_element(By.ID, "who").text
    open_view(browser, "allocation")
    assert grants_shown(browser) == DEMO_GRANTS | RECS_GRANTS
    shot(browser, shots, "09-master-allocation")

    # Slow streams (demo-large: 1.5 s between events) hold reservations;
    # the in-flight view polls every 3 s and shows them, then lets go.
    open_view(browser, "inflight")
    assert browser.find_element(By.ID, "inflight-total").text == "$0.00"
    streams = [threading.Thread(target=chat, args=(filled, key), kwargs={"model": "demo-large", "stream": True, "timeout": 60})
               for key in ("tg-demo-key-0001", "tg-demo-key-0003", "tg-demo-key-0004")]
    for stream in streams:
        stream.start()
    try:
        wait(browser, lambda d: d.find_element(By.ID, "inflight-total").text not in ("$0.00", "—"), timeout=12,
             message="the in-flight view never showed the running streams")
        busy = {row.get_attribute("data-grant") for row in browser.find_elements(By.CSS_SELECTOR, "#inflight-body tr.busy")}
        assert {"demo", "platform", "search", "recs"} <= busy
        shot(browser, shots, "10-master-in-flight")
    finally:
        for stream in streams:
            stream.join(60)
    wait(browser, lambda d: d.find_element(By.ID, "inflight-total").text == "$0.00", timeout=12,
         message="the in-flight view did not come back to $0.00")

    # The master key files a request and may not approve it itself: the
    # page shows the gateway's refusal.
    open_view(browser, "exceptions")
    Select(browser.find_element(By.ID, "request-grant")).select_by_value("search")
    browser.find_element(By.ID, "request-amount").send_keys("1")
    browser.find_element(By.ID, "request-reason").send_keys("search relaunch load test next week")
    browser.find_element(By.CSS_SELECTOR, "#request-form button[type=submit]").click()
    message = wait(browser, lambda d: d.find_element(By.ID, "exceptions-message").text)
    own = message.split()[0]
    exception_row(browser, own).find_element(By.CSS_SELECTOR, "button[data-action='approve']").click()
    error = wait(browser, lambda d: d.find_element(By.ID, "exceptions-error").text)
    assert error.startswith(own + ":") and "cannot decide it" in error, error
    assert exception_row(browser, own).get_attribute("data-status") == "pending"
    shot(browser, shots, "11-master-exceptions-self-approval-refused")

    open_view(browser, "alerts")
    assert browser.find_elements(By.CSS_SELECTOR, "#alerts-body tr[data-kind='exception_requested']")
    shot(browser, shots, "12-master-alerts")
    sign_out(browser)


def test_a_key_holder_sees_its_key_and_the_grants_above_it_and_nothing_else(filled, browser, shots):
    """An engineer signs in with their own virtual key (recs, production):
    the "My key" view only, with the demo and recs grants as burn-down bars
    whose figures are GET /admin/allocation's."""
    sign_in(browser, filled, KEY_HOLDER)
    wait(browser, lambda d: d.find_element(By.ID, "view-mykey").is_displayed())
    wait(browser, lambda d: d.find_element(By.ID, "mykey-as-of").text != "", message="My key did not load")
    assert browser.find_element(By.ID, "mykey-error").text == ""
    tabs = [b.get_attribute("data-view") for b in browser.find_elements(By.CSS_SELECTOR, "[data-view]") if b.is_displayed()]
    assert tabs == ["mykey"], tabs
    for other in ["allocation", "inflight", "exceptions", "spend", "chargeback", "alerts"]:
        assert not browser.find_element(By.ID, f"view-{other}").is_displayed()
    assert "recs-prod" in browser.find_element(By.ID, "who").text
    identity = browser.find_element(By.ID, "mykey-identity").text
    assert "recs-prod" in identity and "production" in identity, identity
    cards = browser.find_elements(By.CSS_SELECTOR, "#mykey-grants li[data-grant]")
    assert [c.get_attribute("data-grant") for c in cards] == ["demo", "recs"]

    status, text = call(filled, "GET", "/admin/allocation")
    assert status == 200, text
    figures = {g["id"]: g for g in json.loads(text)["grants"]}
    for card in cards:
        grant = figures[card.get_attribute("data-grant")]
        bucket = next(b for b in grant["buckets"] if "production" in b["classes"])
        assert card.find_elements(By.CSS_SELECTOR, ".bar .seg.spent"), card.text
        assert bucket["spent"] + " spent" in card.text, (bucket["spent"], card.text)
        assert "tollgate exception request --grant " + grant["id"] in card.text, card.text
        assert grant["owner"] in card.text
        assert "hard tier" in card.text  # production at the cap
    # The admin API stays closed to the session.
    token = browser.get_cookie("tollgate_session")["value"]
    status, text = call(filled, "GET", "/admin/allocation", credential=None, headers={"cookie": f"tollgate_session={token}"})
    assert status == 403 and "key_holder_forbidden" in text, text
    for path in ("/admin/finance/chargeback?period=current", "/admin/finance/forecast", "/admin/forecasts"):
        status, text = call(filled, "GET", path, credential=None, headers={"cookie": f"tollgate_session={token}"})
        assert status == 403 and "key_holder_forbidden" in text, (path, text)
    shot(browser, shots, "13-key-holder-my-key")
    sign_out(browser)


def test_a_session_ends_with_sign_out_and_the_page_says_so(filled, browser):
    sign_in(browser, filled, VIEWER)
    token = browser.get_cookie("tollgate_session")["value"]
    sign_out(browser)
    # The old cookie no longer signs anything in.
    status, text = call(filled, "GET", "/admin/allocation", credential=None, headers={"cookie": f"tollgate_session={token}"})
    assert status == 401 and "invalid_session" in text, text
