"""The committee's workflow of docs/governance.md with the official SDKs: a
team admin carves a feature grant and mints a key inside it (admin API, no
master key); the openai and anthropic SDKs spend on it; when the grant is
full the SDK raises a RateLimitError whose message names the grant, its
owner and the command to ask for more; revoking the key locks the SDK out
on its next call."""
import hashlib
import json
import urllib.error
import urllib.request

import anthropic
import openai
import pytest

from conftest import PROD_KEY

ADMIN = "tg-sdk-search-admin"
VIEWER = "tg-sdk-finance"


def governance():
    sha = lambda k: hashlib.sha256(k.encode()).hexdigest()
    return f"""
grants:
  - {{id: acme, scope: org/acme, owner: cfo@example.com, amount: "100", period: monthly, renews: 2099-12-31}}
  - id: search
    scope: team/acme/search
    owner: lead@example.com
    amount: {{production: "20", experimentation: "2"}}
    period: monthly
    renews: 2099-12-31
credentials:
  - {{id: search-admin, role: team_admin, scope: team/acme/search, owner: lead@example.com, sha256: "{sha(ADMIN)}"}}
  - {{id: finance, role: viewer, scope: org/acme, owner: fp@example.com, sha256: "{sha(VIEWER)}"}}
plugins:
  - name: tagging
  - name: budget
    fail: closed
"""


class Answer:
    def __init__(self, status, text):
        self.status_code, self.text = status, text

    def json(self):
        return json.loads(self.text)


def admin(url, method, path, credential=ADMIN, json=None):
    """The admin API with the standard library (admin calls are not the SDKs' job)."""
    body = None if json is None else __import__("json").dumps(json).encode()
    request = urllib.request.Request(url + path, data=body, method=method,
                                     headers={"authorization": f"Bearer {credential}", "content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Answer(response.status, response.read().decode())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read().decode())


def test_a_team_admin_delegates_and_the_sdks_spend_inside_the_grant(gateway_with_plugins):
    url = gateway_with_plugins(governance())
    grant = admin(url, "POST", "/admin/grants", json={
        "id": "summaries", "scope": "feature/acme/search/summaries", "owner": "pm@example.com",
        "class": "production", "amount": "0.001", "period": "daily", "at_cap": "refuse", "renews": "2099-12-31"})
    assert grant.status_code == 201, grant.text
    minted = admin(url, "POST", "/admin/keys", json={"id": "summaries-svc", "grant": "summaries", "class": "production"})
    assert minted.status_code == 201, minted.text
    key = minted.json()["key"]

    client = openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0)
    reply = client.chat.completions.create(model="small", max_tokens=8, messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content

    claude = anthropic.Anthropic(base_url=url, api_key=key, max_retries=0)
    message = claude.messages.create(model="claude", max_tokens=8, messages=[{"role": "user", "content": "hi"}])
    assert message.content[0].text

    # $0.001 a day: a request asking for 4,096 tokens of `large` cannot fit.
    with pytest.raises(openai.RateLimitError) as refused:
        client.chat.completions.create(model="large", max_tokens=4096, messages=[{"role": "user", "content": "hi"}])
    text = str(refused.value)
    assert "summaries" in text and "pm@example.com" in text, text
    assert "tollgate exception request --grant summaries" in text, text
    assert refused.value.response.headers["x-tollgate-grant"] == "summaries"

    # The viewer reads the allocation table; the grant's spent is there.
    table = admin(url, "GET", "/admin/allocation", credential=VIEWER)
    assert table.status_code == 200, table.text
    rows = {row["id"]: row for row in table.json()["grants"]}
    assert rows["summaries"]["owner"] == "pm@example.com"
    assert rows["summaries"]["buckets"][0]["spent_nanos"] > 0
    assert rows["summaries"]["parent"] == "search"

    # Revoked: the SDK is locked out on its next call.
    assert admin(url, "DELETE", "/admin/keys/summaries-svc", json={"reason": "rotated"}).status_code == 200
    with pytest.raises(openai.AuthenticationError) as locked:
        client.chat.completions.create(model="small", max_tokens=8, messages=[{"role": "user", "content": "hi"}])
    assert "revoked" in str(locked.value)


def test_tags_put_a_request_on_a_feature_grant(gateway_with_plugins):
    url = gateway_with_plugins(governance())
    assert admin(url, "POST", "/admin/grants", json={
        "id": "tiny", "scope": "feature/acme/search/tiny", "owner": "pm@example.com", "class": "production",
        "amount": "0.0001", "period": "daily", "at_cap": "refuse"}).status_code == 201
    client = openai.OpenAI(base_url=url + "/v1", api_key=PROD_KEY, max_retries=0)
    # Untagged: only the team and org grants, plenty of room.
    client.chat.completions.create(model="large", max_tokens=4096, messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="large", max_tokens=4096, messages=[{"role": "user", "content": "hi"}],
                                       extra_headers={"x-tollgate-feature": "tiny"})
