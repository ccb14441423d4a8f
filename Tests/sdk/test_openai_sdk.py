"""The official openai SDK against the gateway: only base_url and the key change."""
import openai
import pytest

from conftest import LAB_KEY, PROD_KEY


def client(gateway, key=PROD_KEY):
    return openai.OpenAI(base_url=gateway + "/v1", api_key=key, max_retries=0)


def test_chat_completion(gateway):
    r = client(gateway).chat.completions.create(
        model="small", max_tokens=8, messages=[{"role": "user", "content": "hello"}])
    assert r.choices[0].message.content.startswith("tok0")
    assert r.usage.completion_tokens == 8


def test_streaming_with_usage(gateway):
    stream = client(gateway).chat.completions.create(
        model="small", stream=True, stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "stream"}])
    text, usage = "", None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
        if chunk.usage:
            usage = chunk.usage
    assert text.startswith("tok0")
    assert usage is not None and usage.completion_tokens > 0


def test_streaming_without_usage(gateway):
    chunks = list(client(gateway).chat.completions.create(
        model="small", stream=True, messages=[{"role": "user", "content": "stream"}]))
    assert chunks and all(c.usage is None for c in chunks)


def test_errors_map_to_sdk_exceptions(gateway):
    with pytest.raises(openai.AuthenticationError):
        client(gateway, key="wrong").chat.completions.create(model="small", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.PermissionDeniedError):
        client(gateway, key=LAB_KEY).chat.completions.create(model="large", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.NotFoundError):
        client(gateway).chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])


def test_models_list(gateway):
    ids = sorted(m.id for m in client(gateway, key=LAB_KEY).models.list())
    assert ids == ["claude", "small"]
