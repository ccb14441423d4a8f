"""Starts the real mock provider and gateway for the SDK tests."""
import hashlib
import os
import subprocess
import tempfile
import time

import pytest

BIN = os.environ.get("TOLLGATE_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", ".build", "debug", "tollgate")
PROD_KEY = "tg-sdk-prod-key"
LAB_KEY = "tg-sdk-lab-key"


def _start(args, banner, env=None):
    proc = subprocess.Popen([BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})})
    deadline = time.time() + 30
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{args[0]} exited: {proc.stderr.read()}")
        if line.startswith(banner):
            return proc, int(line.strip().rsplit(":", 1)[1])
    proc.kill()
    raise RuntimeError(f"{args[0]} did not start in time")


def gateway_yaml(mock_port, storage, plugins=""):
    sha = lambda k: hashlib.sha256(k.encode()).hexdigest()
    return f"""
server:
  listen: 127.0.0.1:0
  timeouts: {{connect_ms: 2000, first_byte_ms: 5000, idle_ms: 5000}}
storage:
  dir: {storage}
models:
  - name: small
    provider: openai
    base_url: http://127.0.0.1:{mock_port}/v1
    upstream_model: mock-small
    price: {{input_per_mtok: "0.40", output_per_mtok: "1.60"}}
  - name: large
    provider: openai
    base_url: http://127.0.0.1:{mock_port}/v1
    price: {{input_per_mtok: "8", output_per_mtok: "32"}}
  - name: claude
    provider: anthropic
    base_url: http://127.0.0.1:{mock_port}/v1
    price: {{input_per_mtok: "0.80", output_per_mtok: "4"}}
orgs:
  - name: acme
    outcome_metrics: [resolved_ticket, merged_pr]
    teams:
      - name: search
        owner: lead@example.com
        outcomes: [resolved_ticket]
        cost_center: CC-7
        keys:
          - {{id: search-prod, sha256: "{sha(PROD_KEY)}", class: production}}
          - {{id: search-lab, sha256: "{sha(LAB_KEY)}", class: experimentation, models: [small, claude]}}
{plugins}
"""


@pytest.fixture(scope="session")
def mock_provider():
    proc, port = _start(["mock-provider", "--host", "127.0.0.1", "--port", "0"], "mock-provider listening on")
    yield port
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def gateway(mock_provider):
    tmp = tempfile.mkdtemp(prefix="tollgate-sdk-")
    path = os.path.join(tmp, "tollgate.yaml")
    with open(path, "w") as f:
        f.write(gateway_yaml(mock_provider, os.path.join(tmp, "data")))
    proc, port = _start(["serve", "--config", path, "--port", "0", "--log-level", "warning"], "tollgate listening on")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=15)


@pytest.fixture
def gateway_with_plugins(mock_provider):
    """Starts a gateway of its own with the given `plugins:` YAML block (and
    fresh storage); returns its base URL. Stopped after the test."""
    procs = []

    def start(plugins):
        tmp = tempfile.mkdtemp(prefix="tollgate-sdk-")
        path = os.path.join(tmp, "tollgate.yaml")
        with open(path, "w") as f:
            f.write(gateway_yaml(mock_provider, os.path.join(tmp, "data"), plugins))
        proc, port = _start(["serve", "--config", path, "--port", "0", "--log-level", "warning"], "tollgate listening on")
        procs.append(proc)
        return f"http://127.0.0.1:{port}"

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=15)
