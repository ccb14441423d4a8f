"""Outcomes with the official SDK's own HTTP client (POST /v1/outcomes on the
gateway's base URL, the team's key), and the chargeback compared with our
own computation from the ledger file: spend to the nano-dollar, outcomes,
cost per outcome rounded half up."""
import hashlib
import json
import os
import sqlite3
import subprocess
import tempfile
import urllib.request

import openai
import pytest

from conftest import BIN, PROD_KEY, LAB_KEY, _start, gateway_yaml

VIEWER = "tg-sdk-finance-viewer"


@pytest.fixture
def finance_gateway(mock_provider):
    sha = lambda k: hashlib.sha256(k.encode()).hexdigest()
    tmp = tempfile.mkdtemp(prefix="tollgate-sdk-finance-")
    path = os.path.join(tmp, "tollgate.yaml")
    plugins = f"""
grants:
  - {{id: acme, scope: org/acme, owner: cfo@example.com, amount: "100", period: monthly}}
credentials:
  - {{id: finance, role: viewer, scope: org/acme, owner: fp@example.com, sha256: "{sha(VIEWER)}"}}
plugins:
  - name: tagging
"""
    with open(path, "w") as f:
        f.write(gateway_yaml(mock_provider, os.path.join(tmp, "data"), plugins))
    proc, port = _start(["serve", "--config", path, "--port", "0", "--log-level", "warning"], "tollgate listening on")
    yield f"http://127.0.0.1:{port}", path, os.path.join(tmp, "data", "ledger.sqlite")
    proc.terminate()
    proc.wait(timeout=15)


def test_outcomes_with_the_sdk_and_the_chargeback_equals_the_ledger(finance_gateway):
    base, config, ledger = finance_gateway
    client = openai.OpenAI(base_url=base + "/v1", api_key=PROD_KEY)
    for _ in range(4):
        client.chat.completions.create(model="small", max_tokens=7, messages=[{"role": "user", "content": "hello there"}])

    posted = client.post("/outcomes", body={"metric": "resolved_ticket", "count": 3}, cast_to=object)
    assert posted["object"] == "outcome" and posted["id"].startswith("out_")
    client.post("/outcomes", body={"metric": "resolved_ticket", "count": 4, "feature": "triage"}, cast_to=object)

    with pytest.raises(openai.BadRequestError) as refused:
        client.post("/outcomes", body={"metric": "resolved_ticket", "count": -1}, cast_to=object)
    assert refused.value.param == "count"
    with pytest.raises(openai.BadRequestError) as unknown:
        client.post("/outcomes", body={"metric": "qualified_lead", "count": 1}, cast_to=object)
    assert unknown.value.param == "metric"
    with pytest.raises(openai.BadRequestError) as not_the_team:
        client.post("/outcomes", body={"metric": "merged_pr", "count": 1}, cast_to=object)
    assert not_the_team.value.param == "metric"

    # Our own computation, from the ledger file.
    with sqlite3.connect(ledger) as db:
        spend, requests = db.execute("SELECT sum(cost_nanos), count(*) FROM ledger WHERE team = 'search'").fetchone()
    assert spend > 0 and requests == 4
    expected_per_outcome = (spend * 2 + 7) // 14

    request = urllib.request.Request(base + "/admin/finance/chargeback?format=json",
                                     headers={"Authorization": "Bearer " + VIEWER})
    report = json.load(urllib.request.urlopen(request))
    row = next(r for r in report["rows"] if r["team"] == "acme/search")
    assert row["spend_nanos"] == spend
    assert row["requests"] == requests
    assert row["outcomes"] == 7 and row["outcome_metric"] == "resolved_ticket"
    assert row["cost_per_outcome_nanos"] == expected_per_outcome
    assert row["cost_center"] == "CC-7"
    assert report["total"]["spend_nanos"] == spend

    # The CLI prints the same document.
    cli = subprocess.run([BIN, "report", "chargeback", "--config", config, "--format", "json"],
                         capture_output=True, text=True, check=True)
    assert json.loads(cli.stdout) == report
