"""The official openai SDK against the ratelimit plugin: it reads the
x-ratelimit-* headers, and on a 429 it honours Retry-After and retries by
itself until the request fits."""
import threading

import openai

from conftest import PROD_KEY

# One request reserves about max_tokens + its body bytes (~1,150 tokens
# here): one fits in 1,800, two do not, and one plus the real usage of a
# finished one (~30 tokens) does.
TPM_PLUGINS = """
plugins:
  - name: ratelimit
    fail: closed
    config:
      limits:
        - {scope: key/search-prod, tpm: 1800, rpm: 100}
"""


def test_success_carries_openai_rate_limit_headers(gateway_with_plugins):
    url = gateway_with_plugins(TPM_PLUGINS)
    client = openai.OpenAI(base_url=url + "/v1", api_key=PROD_KEY, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="small", max_tokens=1000, messages=[{"role": "user", "content": "hello"}])
    assert raw.headers["x-ratelimit-limit-requests"] == "100"
    assert raw.headers["x-ratelimit-remaining-requests"] == "99"
    assert raw.headers["x-ratelimit-limit-tokens"] == "1800"
    assert 0 < int(raw.headers["x-ratelimit-remaining-tokens"]) < 800
    assert raw.headers["x-ratelimit-reset-tokens"].endswith("s")
    assert raw.parse().choices[0].message.content


def test_sdk_retries_a_429_by_itself_and_succeeds(gateway_with_plugins):
    url = gateway_with_plugins(TPM_PLUGINS)
    # A slow stream (~1.5 s) holds its token reservation while it runs.
    holder = openai.OpenAI(base_url=url + "/v1", api_key=PROD_KEY, max_retries=0)
    stream = holder.chat.completions.create(
        model="small", max_tokens=1000, stream=True,
        messages=[{"role": "user", "content": "[[mock chunks=15 delay_ms=100]] a slow poem"}])
    drained = threading.Thread(target=lambda: list(stream))
    drained.start()

    seen = []
    # The SDK's own HTTP client class (httpx under its hood), only to watch.
    http = openai.DefaultHttpxClient(event_hooks={"response": [lambda r: seen.append((r.status_code, dict(r.headers)))]})
    client = openai.OpenAI(base_url=url + "/v1", api_key=PROD_KEY, max_retries=5, http_client=http)
    try:
        completion = client.chat.completions.create(
            model="small", max_tokens=1000, messages=[{"role": "user", "content": "and a quick one"}])
    finally:
        drained.join(timeout=30)
    statuses = [status for status, _ in seen]
    assert statuses[0] == 429, statuses
    assert statuses[-1] == 200, statuses
    assert set(statuses) == {429, 200}, statuses
    refused = seen[0][1]
    assert refused["retry-after"] == "1"
    assert refused["retry-after-ms"] == "1000"
    assert refused["x-ratelimit-limit-tokens"] == "1800"
    assert refused["x-tollgate-ratelimit"] == "key/search-prod:tpm"
    assert completion.choices[0].message.content
    assert completion.usage.total_tokens < 100


def test_without_retries_the_sdk_raises_rate_limit_error(gateway_with_plugins):
    url = gateway_with_plugins("""
plugins:
  - name: ratelimit
    config:
      limits:
        - {scope: team/acme/search, rpm: 1}
""")
    client = openai.OpenAI(base_url=url + "/v1", api_key=PROD_KEY, max_retries=0)
    client.chat.completions.create(model="small", max_tokens=8, messages=[{"role": "user", "content": "one"}])
    try:
        client.chat.completions.create(model="small", max_tokens=8, messages=[{"role": "user", "content": "two"}])
        raise AssertionError("the second request should be refused")
    except openai.RateLimitError as error:
        assert error.status_code == 429
        assert error.body["type"] == "rate_limit_exceeded"
        assert error.body["message"].startswith("Rate limit reached for team acme/search on requests per minute (RPM)")
        assert 1 <= int(error.response.headers["retry-after"]) <= 60
