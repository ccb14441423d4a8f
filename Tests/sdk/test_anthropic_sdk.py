"""The official anthropic SDK against the gateway: only base_url and the key change."""
import anthropic
import pytest

from conftest import PROD_KEY


def client(gateway, key=PROD_KEY):
    return anthropic.Anthropic(base_url=gateway, api_key=key, max_retries=0)


def test_message(gateway):
    r = client(gateway).messages.create(
        model="claude", max_tokens=10, system="be brief", messages=[{"role": "user", "content": "hello"}])
    assert r.content[0].text.startswith("tok0")
    assert r.usage.output_tokens == 10


def test_streaming(gateway):
    with client(gateway).messages.stream(
            model="claude", max_tokens=12, messages=[{"role": "user", "content": "stream"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text.startswith("tok0")
    assert final.usage.output_tokens == 12


def test_authentication_error(gateway):
    with pytest.raises(anthropic.AuthenticationError):
        client(gateway, key="wrong").messages.create(
            model="claude", max_tokens=5, messages=[{"role": "user", "content": "x"}])
