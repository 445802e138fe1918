"""A real JupyterLab, started by the tests on a free 127.0.0.1 port with a random token,
driven by Debian's Chromium through Playwright (issue: the course proven in a real browser).

A browser download cannot work on these machines, so Chromium must come from the system
(`apt-get install chromium`, which `.ci/run` does). Without it these tests FAIL with that
instruction: they never pass silently.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Sized for a loaded 2-core machine (several kernels, a build, other tests at once).
LAB_START_TIMEOUT_S = 180
# Filled by test_notebooks_in_lab.py, printed at the end of the run (not asserted: timings).
MEASURED: dict[str, dict] = {}
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ARTIFACTS = ROOT / "tests" / "browser" / "artifacts"
CHROMIUM_CANDIDATES = [os.environ.get("COURSE_CHROMIUM", ""), "/usr/bin/chromium",
                       "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--no-first-run",
    "--disable-sync", "--disable-quic",
]


def chromium_path() -> str:
    for cand in CHROMIUM_CANDIDATES:
        if cand and Path(cand).exists():
            return cand
    pytest.fail(
        "Chromium not found: the browser tests need Debian's chromium. Install it with\n"
        "    sudo apt-get update && sudo apt-get install -y chromium\n"
        "(.ci/run does this), or set COURSE_CHROMIUM=/path/to/chromium.",
        pytrace=False,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base, token, path, method="GET"):
    req = urllib.request.Request(f"{base}{path}", method=method,
                                 headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        body = resp.read()
    return json.loads(body) if body else None


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """JupyterLab serving a copy of notebooks/ (so autosave never touches the repository)."""
    work = tmp_path_factory.mktemp("lab")
    nbdir = work / "notebooks"
    shutil.copytree(ROOT / "notebooks", nbdir,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.py"))
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("IPYTHONDIR", "ipython")]:
        (work / sub).mkdir()
        env[var] = str(work / sub)
    # the kernel of the venv (sys.prefix) must be found although JUPYTER_DATA_DIR moved
    env["JUPYTER_PATH"] = os.pathsep.join([str(Path(sys.prefix) / "share" / "jupyter")])
    # no news toast over the page
    settings = work / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port, token = free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={nbdir}",
           "--LabApp.news_url=None"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(work / "lab.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + LAB_START_TIMEOUT_S
    while True:
        try:
            api(base, token, "/api/status")
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"JupyterLab did not start:\n{(work / 'lab.log').read_text()[-3000:]}")
            time.sleep(0.5)
    try:
        yield {"base": base, "token": token, "dir": nbdir}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def browser():
    exe = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()


def pytest_terminal_summary(terminalreporter):
    """Key press to new image in Chromium, and the largest image upscaling, per notebook."""
    if not MEASURED:
        return
    import statistics

    tr = terminalreporter
    tr.section("JupyterLab in Chromium: slider latency and image scaling")
    tr.write_line("key press -> new image (ms, from the keydown event to the image's new src; "
                  "reported, not asserted); largest img clientWidth / naturalWidth at 100% zoom")
    everything = []
    for name, m in sorted(MEASURED.items()):
        lat = m.get("latency_ms", [])
        everything += lat
        text = (f"median {statistics.median(lat):6.0f}  max {max(lat):6.0f}  ({len(lat)} moves)"
                if lat else "no slider moves measured")
        lost = f"; {m['lost_keys']} lost key press(es) repeated" if m.get("lost_keys") else ""
        tr.write_line(f"  {name:<22} {text}   upscale max {m.get('upscale_max', float('nan')):.2f}"
                      f" over {m.get('images', 0)} image(s){lost}")
    if everything:
        tr.write_line(f"  {'all notebooks':<22} median {statistics.median(everything):6.0f}  "
                      f"max {max(everything):6.0f}  ({len(everything)} moves; target: median "
                      "< 100 ms)")
