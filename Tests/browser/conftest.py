"""The dashboard's browser test: the real gateway on config/demo.yaml (temp
storage, a free port), headless Chromium driven by Debian's chromedriver.

Skipped, saying why, only when chromium or chromedriver is missing;
selenium itself must be installed (scripts/test.sh puts it in its venv)."""
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("TOLLGATE_BIN") or os.path.join(REPO, ".build", "debug", "tollgate")
SHOTS = os.environ.get("TOLLGATE_SCREENSHOTS") or os.path.join(tempfile.gettempdir(), "tollgate-dashboard-shots")
MASTER = "tg-demo-master"


def _which(*names):
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


CHROMIUM = os.environ.get("CHROMIUM") or _which("chromium", "chromium-browser")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER") or _which("chromedriver")
if CHROMEDRIVER is None and os.path.exists("/usr/lib/chromium/chromedriver"):
    CHROMEDRIVER = "/usr/lib/chromium/chromedriver"


def pytest_collection_modifyitems(config, items):
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)) if not path]
    if missing:
        reason = (f"dashboard browser test skipped: {' and '.join(missing)} not found "
                  "(Debian: apt-get install chromium chromium-driver)")
        for item in items:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_terminal_summary(terminalreporter):
    shots = sorted(f for f in os.listdir(SHOTS) if f.endswith(".png")) if os.path.isdir(SHOTS) else []
    if shots:
        terminalreporter.write_line(f"dashboard screenshots ({len(shots)}): {SHOTS}")


def demo_yaml(storage):
    """config/demo.yaml with its storage in `storage` and demo-large slow
    (1.5 s between stream events), so requests stay in flight long enough
    to be seen."""
    with open(os.path.join(REPO, "config", "demo.yaml")) as f:
        text = f.read()
    text, n = re.subn(r"(?m)^(\s*dir:).*$", rf"\1 {storage}", text, count=1)
    assert n == 1, "config/demo.yaml has no storage.dir line to point at the temp directory"
    text, n = re.subn(r"(- name: demo-large(?:.*\n)+?\s*mock: \{[^}]*?chunk_delay_ms: )\d+", r"\g<1>1500", text, count=1)
    assert n == 1, "config/demo.yaml's demo-large has no mock chunk_delay_ms to slow down"
    return text


@pytest.fixture(scope="session")
def gateway():
    """The gateway's base URL; the demo's master key is set."""
    tmp = tempfile.mkdtemp(prefix="tollgate-dashboard-")
    path = os.path.join(tmp, "demo.yaml")
    with open(path, "w") as f:
        f.write(demo_yaml(os.path.join(tmp, "data")))
    env = {**os.environ, "TOLLGATE_MASTER_KEY": MASTER,
           "TOLLGATE_PLUGIN_DIR": os.environ.get("TOLLGATE_PLUGIN_DIR") or os.path.dirname(BIN)}
    log = open(os.path.join(tmp, "gateway.log"), "w")
    proc = subprocess.Popen([BIN, "serve", "--config", path, "--host", "127.0.0.1", "--port", "0", "--log-level", "warning"],
                            stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    port = None
    deadline = time.time() + 30
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("tollgate listening on"):
            port = int(line.strip().rsplit(":", 1)[1])
            break
    if port is None:
        proc.kill()
        log.close()
        raise RuntimeError("the gateway did not start: " + open(os.path.join(tmp, "gateway.log")).read())
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture(scope="session")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="tollgate-chromium-")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1500,1000", f"--user-data-dir={profile}", "--lang=en-US"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def shots():
    """The screenshot folder, emptied of an earlier run's pictures."""
    os.makedirs(SHOTS, exist_ok=True)
    for name in os.listdir(SHOTS):
        if name.endswith(".png"):
            os.remove(os.path.join(SHOTS, name))
    print(f"dashboard screenshots go to {SHOTS}")
    return SHOTS
