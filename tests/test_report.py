"""The report: table content, Markdown, and a real headless Chromium rendering the page.

The browser is driven through the Chrome DevTools Protocol over `--remote-debugging-pipe`
(NUL-separated JSON on file descriptors 3 and 4), so no websocket or Playwright package is needed.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import tiny_config
from ganforge.cli import main
from ganforge.studies.report import write_report
from ganforge.studies.rundata import collect
from ganforge.studies.table import differing_keys, direction
from ganforge.training import train

# ---------------------------------------------------------------- a tiny study on disk


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    """Three tiny runs in a study folder, two with an evaluation row, plus seed numbers."""
    folder = tmp_path_factory.mktemp("report") / "tiny"
    for name, overrides in {
        "a": ["loss.name=nonsaturating"],
        "b": ["loss.name=lsgan"],
        "c": ["loss.name=lsgan", "optim.d.lr=0.001"],
    }.items():
        config = tiny_config("train.steps=6", "train.sample_every=2", *overrides)
        run = train(config, run_dir=folder / name, device="cpu", progress=False)
        if name != "c":
            fid = {"a": 80.0, "b": 60.0}[name]
            for step, value in ((4, fid + 10), (6, fid)):
                row = {"step": step, "kind": "eval", "fid_domain1k": value, "seconds": 1.0}
                run.append_metrics(row)
    (folder / "study.yaml").write_text(
        "name: tiny\ndescription: three tiny runs\n"
        "published: {source: 'Seed 001, table 4.6', metric: fid5k, label: 'FID (seed)',\n"
        "  note: 'other protocol', values: {a: 53.7, b: 52.4}}\n"
        "target: {metric: fid_domain1k, value: 75}\n"
    )
    failed = {"run": "d", "status": "diverged", "error": "the loss is NaN at step 3"}
    (folder / "study.jsonl").write_text(json.dumps(failed) + "\n")
    return folder


def test_direction_of_metrics() -> None:
    assert direction("fid5k") == direction("fid_domain5k") == direction("kid10k") == "lower"
    assert direction("is10k") == direction("modes2.5k_modes") == "higher"
    assert direction("is10k_std") is None and direction("domain_classifier_accuracy") is None


def test_table_has_one_row_per_run_and_only_differing_keys(study: Path) -> None:
    runs = collect([study])
    assert [r.name for r in runs] == ["a", "b", "c"]
    keys = differing_keys(runs)
    assert set(keys) == {"loss.name", "optim.d.lr"}  # not name, seed, steps or the data
    written = write_report([study], study.parent / "r.html", "md")
    assert [p.name for p in written] == ["r.md", "r.html"]  # the table, and the page too
    md = written[0].read_text()
    over_seeds, every_run = md.split("## All runs")
    assert len([line for line in over_seeds.splitlines() if line.startswith("| ")]) == 1 + 3
    lines = [line for line in every_run.splitlines() if line.startswith("| ")]
    assert len(lines) == 1 + 3  # header + one row per run
    header = lines[0]
    for title in ("loss.name", "optim.d.lr", "fid_domain1k final", "fid_domain1k best"):
        assert title in header
    assert "FID (seed)" in header and "train.steps" not in header and "seed |" not in header
    row_b = next(line for line in lines if line.startswith("| b |"))
    assert "**60**" in row_b and "52.4" in row_b  # best FID in bold; the seed's value beside
    assert "other protocol" in md
    assert "- d (diverged): the loss is NaN at step 3" in md  # a failed run has no row: why


def test_time_to_a_target_quality(study: Path) -> None:
    """b reaches FID 75 at its step-4 evaluation, a never does, c was never evaluated."""
    from ganforge.studies.table import columns

    runs = {r.name: r for r in collect([study])}
    (col,) = [c for c in columns(list(runs.values())) if c.title.startswith("time to")]
    assert col.title == "time to fid_domain1k <= 75 (s)"
    assert col.value(runs["a"]) is None and col.value(runs["c"]) is None
    b = runs["b"]
    assert 0 < col.value(b) == b.seconds_until(4) < b.train_seconds


def test_html_is_self_contained(study: Path) -> None:
    (out,) = write_report([study], study.parent / "r.html")
    page = out.read_text()
    assert page.count("<tr data-run=") == 3
    assert page.count("data:image/png;base64,") == 3 * 3  # first, middle and last grid per run
    assert "<svg" in page and "discriminator loss" in page
    assert "Failed runs" in page and "the loss is NaN at step 3" in page
    for remote in ("http://", "https://", 'src="/', "//cdn"):
        assert remote not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_report_command_and_a_single_run(study: Path, capsys) -> None:
    out = study.parent / "single.html"
    assert main(["report", str(study / "a"), str(study / "b"), "-o", str(out)]) == 0
    assert out.exists() and str(out) in capsys.readouterr().out
    assert main(["report", str(study.parent / "nothing-here"), "-o", str(out)]) == 2


# ---------------------------------------------------------------- a real browser


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        if path := shutil.which(name):
            return path
    return None


def _pipes_to_3_and_4(read_end: int, write_end: int) -> None:
    """In the child: the pipe ends become fds 3 and 4 even if either already was 3 or 4."""
    import fcntl

    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (read_end, write_end)]
    os.dup2(high[0], 3)
    os.dup2(high[1], 4)


class Browser:
    """Headless Chromium driven over --remote-debugging-pipe (CDP without websockets)."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()
        # the child reads commands on fd 3 and writes replies on fd 4
        self.proc = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--disable-background-networking",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            pass_fds=(3, 4),
            preexec_fn=lambda: _pipes_to_3_and_4(to_child, from_child),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive(timeout=60)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 60) -> dict:
        for i, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(i)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self._receive(timeout=deadline - time.monotonic())
            if event.get("method") == method:
                return event
            self.events.append(event)
        raise TimeoutError(method)

    def _receive(self, timeout: float) -> dict:
        import select

        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._read], [], [], max(0.0, timeout))
            if not ready:
                raise TimeoutError("no reply from Chromium")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self._write)
        os.close(self._read)


def render(
    page: Path, screenshot: Path, profile: Path, width: int = 1280, sort: bool = True
) -> dict:
    """Load `page` in headless Chromium; return what rendered and the console errors.
    With `sort`, the first column's header is clicked twice (rows by name, descending)."""
    binary = find_chromium()
    browser = Browser(binary, profile)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log"):
            browser.send(f"{domain}.enable", session=session)
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        browser.send("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        browser.wait_for("Page.loadEventFired")
        probe = """(() => {
            const imgs = [...document.images];
            const th = document.querySelector('table.runs th:nth-child(1)');
            if (SORT) { th.click(); th.click(); }  // sort by run name, descending
            return {
              rows: document.querySelectorAll('table.runs tbody tr').length,
              images: imgs.length,
              decoded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
              svgs: document.querySelectorAll('svg.chart').length,
              best: document.querySelectorAll('td.best').length,
              order: [...document.querySelectorAll('table.runs tbody tr')].map(r => r.dataset.run),
            };
        })()"""
        result = browser.send(
            "Runtime.evaluate",
            {
                "expression": probe.replace("SORT", "true" if sort else "false"),
                "returnByValue": True,
                "awaitPromise": True,
            },
            session=session,
        )["result"]["value"]
        shot = browser.send("Page.captureScreenshot", {"format": "png"}, session=session)
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
    finally:
        browser.close()
    result["errors"] = [_error_text(e) for e in browser.events if _is_error(e)]
    return result


def _is_error(event: dict) -> bool:
    method, params = event.get("method"), event.get("params", {})
    if method == "Runtime.exceptionThrown":
        return True
    if method == "Runtime.consoleAPICalled":
        return params.get("type") in ("error", "assert")
    if method == "Log.entryAdded":
        return params.get("entry", {}).get("level") == "error"
    return False


def _error_text(event: dict) -> str:
    return json.dumps(event.get("params", {}))[:300]


def test_report_renders_in_a_real_browser(study: Path, tmp_path: Path) -> None:
    if find_chromium() is None:
        pytest.skip("Chromium is not installed (.ci/run installs the Debian package 'chromium')")
    (page,) = write_report([study], tmp_path / "report.html")
    screenshot = tmp_path / "report.png"  # kept by pytest under its basetemp for a look
    result = render(page, screenshot, tmp_path / "profile")
    assert result["errors"] == []
    assert result["rows"] == 3
    assert result["images"] == 9 and result["decoded"] == 9  # every grid decoded
    assert result["svgs"] >= 4  # the loss, D-output and metric charts
    assert result["best"] >= 2  # best fid final and best
    assert result["order"] == ["c", "b", "a"]  # the header click sorted the rows
    assert screenshot.stat().st_size > 10_000
