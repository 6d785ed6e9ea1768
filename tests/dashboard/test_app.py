"""The Streamlit dashboard, driven headless by streamlit.testing.v1.AppTest on a small
published warehouse; and `chipcast dashboard` serving it on a local port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest
from warehouses import R1, R2, publish_run

from chipcast.dashboard.data import ServingFile, number
from chipcast.store import warehouse as wh

APP = Path(__file__).resolve().parents[2] / "chipcast" / "dashboard" / "app.py"


def _read(out: Path) -> duckdb.DuckDBPyConnection:
    # The app's configuration: DuckDB shares one instance per file within a process.
    return duckdb.connect(str(out / wh.DB_NAME), read_only=True,
                          config={"enable_external_access": False})


def _publish(out: Path, run_id: str, scenarios: dict[str, float], backtest: bool = False
             ) -> None:
    """Write a new warehouse file next to the published one and swap it in, as a publish does
    (os.replace: a reader's open connection keeps the old file)."""
    tmp = out / f".next-{run_id}.duckdb"
    published = out / wh.DB_NAME
    if published.exists():
        tmp.write_bytes(published.read_bytes())
    con = duckdb.connect(str(tmp))
    try:
        wh.create_schema(con)
        publish_run(con, run_id, scenarios, draws=True, checks=True, backtest=backtest)
        wh.create_marts(con)
    finally:
        con.close()
    os.replace(tmp, published)


def _points(out: Path, scenario: str) -> dict[str, float]:
    con = _read(out)
    try:
        return dict(con.execute("SELECT label, point FROM mart_headlines WHERE scenario = ? "
                                "AND calibration = 'prior'", [scenario]).fetchall())
    finally:
        con.close()


@pytest.fixture
def served(tmp_path: Path, monkeypatch) -> Path:
    _publish(tmp_path, R1, {"base": 1.0, "bull": 3.0})
    monkeypatch.setenv("CHIPCAST_DASHBOARD_OUT_DIR", str(tmp_path))
    return tmp_path


def _app():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _shown(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_switching_scenario_shows_that_scenarios_headlines(served: Path) -> None:
    at = _app()
    assert at.selectbox(key="scenario").options == ["base", "bull"]
    assert at.selectbox(key="calibration").options == ["prior"]
    base = _points(served, "base")
    assert _shown(at) == {label: f"{number(v)} {unit}" for (label, v), unit in zip(
        base.items(), _units(served), strict=True)}
    at.selectbox(key="scenario").set_value("bull").run()
    assert not at.exception
    bull = _points(served, "bull")
    assert bull != base
    assert _shown(at) == {label: f"{number(v)} {unit}" for (label, v), unit in zip(
        bull.items(), _units(served), strict=True)}
    # panels that have no data say so; checks show the failed expectation of bull
    infos = [i.value for i in at.info]
    assert "No back-test rows for this scenario." in infos
    assert any("1 of 2 expectations passed" in e.value for e in at.error)
    assert len(at.dataframe) >= 3  # regimes/check tables render without errors


def _units(out: Path) -> list[str]:
    con = _read(out)
    try:
        return [r[0] for r in con.execute(
            "SELECT unit FROM mart_headlines WHERE scenario = 'base' AND calibration = 'prior'"
        ).fetchall()]
    finally:
        con.close()


def test_the_dashboard_follows_a_publish_and_reads_a_backtest_view(served: Path) -> None:
    at = _app()
    before = _shown(at)
    # the file is replaced under the open session, by a run that also has back-test rows
    _publish(served, R2, {"base": 5.0}, backtest=True)
    at.run()
    assert not at.exception
    after = _shown(at)
    assert after != before
    want = _points(served, "base")
    assert list(after.values()) == [f"{number(v)} {u}" for v, u in zip(
        want.values(), _units(served), strict=True)]
    assert "No back-test rows for this scenario." not in [i.value for i in at.info]
    assert any({"p10", "p50", "p90", "inside"} <= set(df.value.columns) for df in at.dataframe)
    # one of the two figures lies inside its P10-P90 (tests/fixtures/warehouses.backtest_rows)
    assert any("Coverage (all actuals): 50% of 2 reported" in c.value for c in at.caption)


def test_headline_cards_use_four_significant_digits() -> None:
    assert [number(v) for v in (None, 5, 0.25, 195_260, 10_372_172, 52_157_516_125, 2.5e12)] \
        == ["-", "5", "0.25", "195.3 k", "10.37 M", "52.16 bn", "2.5 tn"]


def test_serving_file_reconnects_only_when_the_file_changes(tmp_path: Path) -> None:
    _publish(tmp_path, R1, {"base": 1.0})
    data = ServingFile(tmp_path)
    first = data.query("scenarios")
    data.query("scenarios")
    assert data.reconnects == 1 and first["scenario"].to_list() == ["base"]
    _publish(tmp_path, R2, {"bull": 2.0})
    assert data.query("scenarios")["scenario"].to_list() == ["base", "bull"]
    assert data.reconnects == 2
    data.close()
    (tmp_path / wh.DB_NAME).unlink()
    with pytest.raises(FileNotFoundError):
        data.query("scenarios")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_chipcast_dashboard_serves_on_a_local_port(served: Path) -> None:
    port = _free_port()
    exe = Path(sys.executable).parent / "chipcast"
    proc = subprocess.Popen([str(exe), "dashboard", "--port", str(port), "--out-dir",
                             str(served)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        body = b""
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as resp:  # noqa: S310 - loopback
                    body = resp.read()
                    break
            except OSError:
                time.sleep(0.5)
        assert body == b"ok", proc.stderr.read().decode() if proc.poll() is not None else ""
    finally:
        proc.terminate()
        proc.wait(timeout=30)
