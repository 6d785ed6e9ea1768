"""The shipped files in data/ against the input contract and the public record.

The files are read as text with polars and yaml. From chipcast only the declarations are
imported (chipcast.contracts: TABLES, ACTUAL_QUANTITIES, SEGMENT_DRIVER_METRICS), never the
loader, the model or the GX checks: a broken loader or check cannot hide a broken data file, and
every rule below is computed here from the files themselves. Public dates and figures the data
must agree with are written here from their sources (listed in data/README.md, "Sources").
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from chipcast.contracts import ACTUAL_QUANTITIES, SEGMENT_DRIVER_METRICS, TABLES

DATA = Path(__file__).resolve().parents[2] / "data"
SCENARIOS = DATA / "scenarios"
ALL_CSVS = sorted(DATA.rglob("*.csv"))
SCENARIO_FILES = sorted(SCENARIOS.glob("*.yaml"))
SCENARIO_NAMES = ["base", *(p.stem for p in SCENARIO_FILES if p.stem != "base")]
NUMERIC = {name for name, spec in TABLES.items() if spec.numeric}
DISTS = {"", "fixed", "uniform", "triangular", "pert", "lognormal", "normal-truncated"}
# Tables a scenario may empty: buyers and history beside the firms' own bottom-up need.
MAY_BE_EMPTY = {"installed_base", "release_path", "segments", "segment_drivers"}
# The US export-rule timeline (see data/README.md, Sources):
BIS_2022 = date(2022, 10, 7)  # bis-2022-10-07: A100/H100-class parts need a licence
BIS_2023_IN_FORCE = date(2023, 11, 17)  # bis-2023-10-17, in force 30 days after publication
H20_LICENCE = date(2025, 4, 9)  # nvidia-8k-2025-04: the US told NVIDIA on 9 April 2025
# IDC's 2025 split of China's cards (idc-2025-press): NVIDIA 55 %, AMD 4 %, domestic 41 %.
IDC_2025 = {"NVIDIA": 0.55, "AMD": 0.04, "domestic": 0.41}
SHARE_TOLERANCE = 1e-9


def read(path: Path) -> pl.DataFrame:
    """A CSV as strings (empty cell -> ""), so the tests see exactly what the file holds."""
    return pl.read_csv(path, infer_schema_length=0, empty_string_is_null=False)


def load_yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def table_files(table: str) -> list[Path]:
    """The base file of `table` plus every scenario replacement of it."""
    return [p for p in ALL_CSVS if p.stem == table]


def rel(path: Path) -> str:
    return str(path.relative_to(DATA))


def num(cell: object) -> float:
    return float(str(cell))


def day(cell: str) -> date:
    return date.fromisoformat(cell)


def month_start(cell: str) -> date:
    return date.fromisoformat(f"{cell}-01")


def month_end(cell: str) -> date:
    first = month_start(cell)
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def months(start: date, end: date) -> list[date]:
    """First days of the months start..end (inclusive)."""
    out, m = [], start.replace(day=1)
    while m <= end:
        out.append(m)
        m = (m.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def base_chips() -> pl.DataFrame:
    return read(DATA / "chips.csv")


def vendor_of_sku() -> dict[str, str]:
    return dict(base_chips().select("sku", "vendor").iter_rows())


def controlled_skus() -> set[str]:
    chips = base_chips()
    return set(chips.filter(pl.col("export_control") == "us")["sku"])


# --- Scenarios resolved here, independently of chipcast.inputs -------------------------------

def _chain(name: str) -> list[dict[str, Any]]:
    """The scenario documents from the root of the `extends` chain down to `name`."""
    chain: list[dict[str, Any]] = []
    while True:
        doc = load_yaml(SCENARIOS / f"{name}.yaml")
        chain.insert(0, doc)
        if name == "base":
            return chain
        name = doc.get("extends") or "base"


def settings(name: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for doc in _chain(name):
        merged.update(doc.get("settings") or {})
    return merged


def grid(name: str) -> tuple[date, date]:
    s = settings(name)
    return month_start(s["start"]), month_start(s["end"])


def resolve(name: str) -> dict[str, pl.DataFrame]:
    """Every table of a scenario: the base files, then each document's `tables:` and `set:`
    from the root of its `extends` chain down (a minimal re-implementation of the format in
    data/README.md, so the data can be checked without the loader)."""
    tables = {t: read(DATA / f"{t}.csv") for t in TABLES}
    for doc in _chain(name):
        for t, f in (doc.get("tables") or {}).items():
            tables[t] = read(SCENARIOS / f)
        for item in doc.get("set") or []:
            frame = tables[item["table"]]
            match = pl.col("metric") == item["metric"]
            for k in TABLES[item["table"]].keys:
                match = match & (pl.col(k) == str(item[k]))
            old = frame.filter(match)
            new = {c: "" if item.get(c) is None else str(item[c]) for c in frame.columns}
            for inherit in ("unit", "source"):
                if not new[inherit] and old.height:
                    new[inherit] = old[inherit][0]
            tables[item["table"]] = pl.concat([frame.filter(~match), pl.DataFrame([new])])
    return tables


def point(frame: pl.DataFrame, key_col: str, key: str, metric: str) -> float:
    """The point value of `metric` for `key`, falling back to the `*` default row."""
    for k in (key, "*"):
        hit = frame.filter((pl.col(key_col) == k) & (pl.col("metric") == metric))
        if hit.height:
            return num(hit["value"][0])
    raise KeyError((key, metric))


def row_of(tables: dict[str, pl.DataFrame], item: dict[str, Any]) -> dict[str, str]:
    """The row a scenario `set:` item replaces (same table, keys and metric)."""
    spec = TABLES[item["table"]]
    return tables[item["table"]].filter(
        (pl.col("metric") == item["metric"])
        & pl.all_horizontal(pl.col(k) == str(item[k]) for k in spec.keys)).row(0, named=True)


def legal_on(regimes: pl.DataFrame, when: date) -> set[str]:
    """US-controlled SKUs a regime lists on `when` (start inclusive, end exclusive)."""
    iso = when.isoformat()
    active = regimes.filter((pl.col("start_date") <= iso)
                            & ((pl.col("end_date") == "") | (pl.col("end_date") > iso)))
    return set(active["sku"])


# --- Every file ------------------------------------------------------------------------------

def test_shipped_files_present() -> None:
    for table in TABLES:
        assert (DATA / f"{table}.csv").is_file(), table
    assert (DATA / "README.md").is_file()
    assert {p.stem for p in SCENARIO_FILES} >= {
        "base", "export-controls-actual", "no-export-controls", "bull", "bear", "seed-2023",
        "seed-2023-ranges", "base-roofline"}


@pytest.mark.parametrize("path", ALL_CSVS, ids=rel)
def test_csv_layout_contract_columns_types_and_sources(path: Path) -> None:
    raw = path.read_bytes()
    raw.decode("utf-8")  # UTF-8 without a BOM
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in raw and b"\n\n" not in raw, "no CRLF, no blank lines"
    table = path.stem
    assert table in TABLES, f"{rel(path)} is not a contract table"
    spec = TABLES[table]
    frame = read(path)
    assert frame.columns in (list(spec.columns), list(spec.all_columns)), frame.columns
    if frame.height == 0:
        assert path.parent != DATA and table in MAY_BE_EMPTY, "only a scenario may empty it"
        return
    keys = [*spec.keys, "metric"] if spec.numeric else list(spec.keys)
    assert frame.select(keys).is_duplicated().sum() == 0, f"one row per {keys}"
    for key in spec.keys:
        assert (frame[key].str.strip_chars() != "").all(), f"empty key {key}"
    for column in frame.columns:
        kind = spec.type_of(column)
        cells = [c for c in frame[column] if c != ""]
        for cell in cells:
            if kind == "date":
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell), (column, cell)
                day(cell)
            elif kind == "month":
                assert re.fullmatch(r"\d{4}-\d{2}", cell), (column, cell)
                month_start(cell)
            elif kind == "integer":
                assert re.fullmatch(r"-?\d+", cell), (column, cell)
            elif kind == "number":
                assert math.isfinite(num(cell)), (column, cell)
                assert "," not in cell and "%" not in cell, (column, cell)
    empty = frame.filter(pl.col("source").str.strip_chars() == "")
    assert empty.height == 0, f"rows without source: {empty.head(3).to_dicts()}"
    bad = frame.filter(pl.col("source").str.starts_with("assumption")
                       & ~pl.col("source").str.contains(r"^assumption: \S"))
    assert bad.height == 0, "an assumption needs a one-line reason: 'assumption: <why>'"


@pytest.mark.parametrize("path", [p for p in ALL_CSVS if p.stem in NUMERIC], ids=rel)
def test_numeric_rows_are_consistent(path: Path) -> None:
    spec = TABLES[path.stem]
    frame = read(path)
    for row in frame.iter_rows(named=True):
        where = f"{rel(path)} {[row[k] for k in (*spec.keys, 'metric')]}"
        declared = spec.metrics.get(row["metric"])
        assert declared is not None, f"{where}: metric not in the contract"
        assert row["unit"] == declared.unit, where
        assert row["dist"] in DISTS, where
        value = num(row["value"])
        assert declared.low <= value <= declared.high, f"{where}: outside the plausible range"
        if row["dist"] in ("", "fixed"):
            assert row["low"] == row["mode"] == row["high"] == "", f"{where}: fixed has no range"
            continue
        low, high = num(row["low"]), num(row["high"])
        assert low <= value <= high and low < high, where
        if row["mode"]:
            assert low <= num(row["mode"]) <= high, where
        if row["dist"] == "lognormal":
            assert low > 0, where
            if "value is the median" in row.get("note", ""):
                # rounded medians are fine; the mean of a 10x range would sit ~28 % higher
                assert value == pytest.approx(math.sqrt(low * high), rel=0.1), where


# --- Chips, vendors, shares ------------------------------------------------------------------

def test_chips_aliases_families_and_export_control() -> None:
    chips = base_chips()
    assert chips["sku"].is_unique().all()
    names: dict[str, str] = {}
    for sku, aliases in chips.select("sku", "aliases").iter_rows():
        for name in [sku, *(a.strip() for a in aliases.split(";") if a.strip())]:
            assert name.lower() not in names, f"'{name}' names {names.get(name.lower())} and {sku}"
            names[name.lower()] = sku
    for short, family in (("A100", "A100"), ("A800", "A800"), ("H100", "H100"),
                          ("H800", "H800"), ("H20", "H20"), ("L20", "L20"), ("910B", "910B"),
                          ("910", "910"), ("910C", "910C")):
        sku = names[short.lower()]
        assert chips.filter(pl.col("sku") == sku)["family"][0] == family
    assert names["a100"] == "A100-80GB-SXM"
    assert set(chips["export_control"]) <= {"us", "none"}
    per_vendor = chips.group_by("vendor").agg(pl.col("export_control").n_unique().alias("n"))
    assert (per_vendor["n"] == 1).all(), "a vendor's chips are all US-controlled or none are"
    us_vendors = set(chips.filter(pl.col("export_control") == "us")["vendor"])
    assert us_vendors == {"NVIDIA", "AMD"}, us_vendors
    specs = read(DATA / "chip_specs.csv")
    for sku in chips["sku"]:
        metrics = set(specs.filter(pl.col("sku") == sku)["metric"])
        assert metrics == set(TABLES["chip_specs"].metrics), sku
    a100 = specs.filter((pl.col("sku") == "A100-80GB-SXM")
                        & (pl.col("metric") == "dense_fp16_tflops"))
    fleet = read(DATA / "fleet.csv")
    reference = fleet.filter(pl.col("metric") == "reference_tflops")["value"][0]
    assert num(a100["value"][0]) == num(reference) == 312


def test_every_chip_is_shipped_somewhere() -> None:
    """A chip no year's mix and no pre-grid cohort names is dead weight in chips.csv."""
    named = set(read(DATA / "sku_mix.csv")["sku"]) | set(read(DATA / "installed_base.csv")["sku"])
    assert set(base_chips()["sku"]) <= named, set(base_chips()["sku"]) - named


@pytest.mark.parametrize("path", table_files("vendor_share"), ids=rel)
def test_vendor_shares_sum_to_one_per_year(path: Path) -> None:
    frame = read(path).with_columns(pl.col("year").cast(pl.Int64),
                                    pl.col("value").cast(pl.Float64))
    assert set(frame["vendor"]) <= set(base_chips()["vendor"]), "every vendor sells a chip"
    years = sorted(set(frame["year"]))
    assert years == list(range(years[0], years[-1] + 1)), "no missing year"
    for year, total in frame.group_by("year").agg(pl.col("value").sum()).iter_rows():
        assert abs(total - 1) < SHARE_TOLERANCE, (year, total)


def test_vendor_share_covers_every_vendor_and_the_grid() -> None:
    vs = read(DATA / "vendor_share.csv").with_columns(pl.col("year").cast(pl.Int64))
    assert set(vs["vendor"]) == set(base_chips()["vendor"])
    start, end = grid("base")
    assert set(range(start.year, end.year + 1)) <= set(vs["year"])
    future = vs.filter(pl.col("year") > 2025)
    assert (~future["dist"].is_in(["", "fixed"])).all(), "projected shares carry a range"


def _share(vs: pl.DataFrame, year: int, vendor: str) -> dict[str, str]:
    return vs.filter((pl.col("year") == str(year)) & (pl.col("vendor") == vendor)).row(
        0, named=True)


def test_vendor_share_agrees_with_idc() -> None:
    """Every IDC card-share figure of actuals.csv that covers part of one year holds the
    year's shipped share within its reported range; 2025's split is IDC's."""
    vs = read(DATA / "vendor_share.csv")
    act = read(DATA / "actuals.csv").filter((pl.col("quantity") == "card_share")
                                            & pl.col("source").str.starts_with("idc-"))
    assert act.height >= 3
    for row in act.iter_rows(named=True):
        year = month_start(row["start"]).year
        assert month_end(row["end"]).year == year, row["id"]
        share = num(_share(vs, year, row["vendor"])["value"])
        assert num(row["low"]) <= share <= num(row["high"]), (row["id"], share)
    assert _share(vs, 2022, "NVIDIA")["source"] == "idc-2022-press"
    assert _share(vs, 2025, "NVIDIA")["source"] == "idc-2025-press"
    chips = base_chips()
    domestic = set(chips.filter(pl.col("export_control") == "none")["vendor"])
    y2025 = vs.filter(pl.col("year") == "2025")
    split = {"domestic": sum(num(v) for v, x in y2025.select("value", "vendor").iter_rows()
                             if x in domestic),
             "NVIDIA": num(_share(vs, 2025, "NVIDIA")["value"]),
             "AMD": num(_share(vs, 2025, "AMD")["value"])}
    for part, idc in IDC_2025.items():
        assert split[part] == pytest.approx(idc, abs=0.005), part


def test_installed_base_holds_idc_2021_anchor() -> None:
    """IDC, 2021 (seed-2023 S13, idc-2021): NVIDIA held more than 80 % of China's cards, of
    more than 800,000; earlier cohorts grow towards it."""
    ib = read(DATA / "installed_base.csv").with_columns(pl.col("value").cast(pl.Float64))
    vendor = vendor_of_sku()
    y2021 = ib.filter(pl.col("year") == "2021")
    assert set(y2021["source"]) == {"idc-2021"}
    total = y2021["value"].sum()
    nvidia = sum(v for s, v in y2021.select("sku", "value").iter_rows() if vendor[s] == "NVIDIA")
    assert total > 800_000 and nvidia / total > 0.80, (total, nvidia / total)
    by_year = ib.group_by("year").agg(pl.col("value").sum()).sort("year")["value"].to_list()
    assert by_year == sorted(by_year), "cohorts grow towards 2021"


@pytest.mark.parametrize("path", table_files("sku_mix"), ids=rel)
def test_sku_mix_sums_to_one_per_vendor_year_over_launched_skus(path: Path) -> None:
    chips = base_chips()
    vendor = dict(chips.select("sku", "vendor").iter_rows())
    launch = {s: day(d) for s, d in chips.select("sku", "launch_date").iter_rows()}
    frame = read(path)
    assert set(frame["sku"]) <= set(vendor), set(frame["sku"]) - set(vendor)
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for year, sku, value in frame.select("year", "sku", "value").iter_rows():
        assert launch[sku] <= date(int(year), 12, 31), f"{sku} in {year}'s mix before launch"
        totals[(year, vendor[sku])] += num(value)
    for key, total in totals.items():
        assert abs(total - 1) < SHARE_TOLERANCE, (key, total)


def test_no_export_controls_needs_no_china_variants() -> None:
    """Without the rules NVIDIA sells its own parts: none of the cut-down China SKUs."""
    variants = {"A800-80GB-SXM", "A800-40GB-PCIe", "H800-SXM", "H20", "L20"}
    mix = read(SCENARIOS / "no-export-controls" / "sku_mix.csv")
    assert not set(mix["sku"]) & variants
    regimes = read(SCENARIOS / "no-export-controls" / "export_regimes.csv")
    assert set(regimes["end_date"]) == {""} and regimes["start_date"].max() <= "2018-01-01"
    assert set(regimes["sku"]) == controlled_skus(), "every US chip legal throughout"


# --- Export regimes --------------------------------------------------------------------------

@pytest.mark.parametrize("path", table_files("export_regimes"), ids=rel)
def test_export_regimes_name_us_chips_and_meet_without_gaps(path: Path) -> None:
    frame = read(path)
    assert set(frame["sku"]) <= controlled_skus(), "only US-controlled chips need a regime"
    span: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in frame.iter_rows(named=True):
        span[row["regime"]].add((row["start_date"], row["end_date"]))
    periods = []
    for regime, dates in span.items():
        assert len(dates) == 1, f"{regime}: one date range per regime"
        start, end = next(iter(dates))
        assert not end or start < end, regime
        periods.append((start, end or "9999-12-31", regime))
    periods.sort()
    for (_, end, a), (start, _, b) in zip(periods, periods[1:], strict=False):
        assert end == start, f"regimes {a} and {b} must meet without gap or overlap"
    assert periods[-1][1] == "9999-12-31", "the last regime stays open"
    first_cohort = min(read(DATA / "installed_base.csv")["year"])
    assert periods[0][0] <= f"{first_cohort}-01-01", "the pre-grid cohorts shipped legally"


def test_actual_export_timeline() -> None:
    """The shipped regimes follow the public dates: A100/H100 open until 2022-10-07, the
    A800/H800 era until 2023-11-17, the H20 era after, the H20 licence from 2025-04-09."""
    er = read(DATA / "export_regimes.csv")
    bounds = set(er["start_date"]) | set(er["end_date"]) - {""}
    assert {BIS_2022.isoformat(), BIS_2023_IN_FORCE.isoformat(),
            H20_LICENCE.isoformat()} <= bounds
    a100_h100 = {"A100-40GB-SXM", "A100-80GB-SXM", "A100-80GB-PCIe", "H100-SXM"}
    a800_h800 = {"A800-80GB-SXM", "A800-40GB-PCIe", "H800-SXM"}
    one_day = timedelta(days=1)
    assert a100_h100 <= legal_on(er, date(2022, 6, 1))
    assert a100_h100 <= legal_on(er, BIS_2022 - one_day)
    for when in (BIS_2022, date(2024, 6, 1), date(2026, 1, 1), date(2030, 12, 1)):
        assert not legal_on(er, when) & a100_h100, when
    assert a800_h800 <= legal_on(er, BIS_2022)
    assert a800_h800 <= legal_on(er, BIS_2023_IN_FORCE - one_day)
    assert not legal_on(er, BIS_2023_IN_FORCE) & a800_h800
    assert {"H20", "L20"} <= legal_on(er, BIS_2023_IN_FORCE)
    assert "H20" in legal_on(er, H20_LICENCE - one_day)
    for when in (H20_LICENCE, date(2025, 5, 1), date(2025, 7, 1)):
        assert not legal_on(er, when) & {"H20", "MI308X"}, when
        assert "L20" in legal_on(er, when)
    h20_back = min(s for s, r in er.select("start_date", "sku").iter_rows()
                   if r == "H20" and s > H20_LICENCE.isoformat())
    assert day(h20_back) > H20_LICENCE, "the H20 returns only under a later regime"
    assert "H20" in legal_on(er, date(2030, 12, 1))
    seed = read(SCENARIOS / "seed-2023" / "export_regimes.csv")
    assert set(seed["sku"]) == {"A100-80GB-SXM"} and set(seed["end_date"]) == {""}


# --- Pre-grid cohorts, segments, release paths -----------------------------------------------

@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_installed_base_cohorts_precede_the_grid(name: str) -> None:
    tables = resolve(name)
    start, _ = grid(name)
    chips = tables["chips"]
    launch = {s: day(d) for s, d in chips.select("sku", "launch_date").iter_rows()}
    regimes = tables["export_regimes"]
    us = set(chips.filter(pl.col("export_control") == "us")["sku"])
    for year, sku in tables["installed_base"].select("year", "sku").iter_rows():
        assert int(year) < start.year, f"cohort {year} is inside the grid ({start})"
        assert launch[sku] <= date(int(year), 12, 31), f"{sku} shipped in {year} before launch"
        if sku in us:
            assert any(sku in legal_on(regimes, date(int(year), m, 15)) for m in range(1, 13))


@pytest.mark.parametrize("path", table_files("segments"), ids=rel)
def test_segments_drivers_have_their_metrics(path: Path) -> None:
    segments = read(path)
    drivers = read(path.parent / "segment_drivers.csv")
    firms = set(read(DATA / "firms.csv")["firm"])
    assert not set(segments["segment"]) & firms, "a buyer id names one buyer"
    assert set(drivers["segment"]) <= set(segments["segment"])
    for segment, driver in segments.select("segment", "driver").iter_rows():
        assert driver in SEGMENT_DRIVER_METRICS, (segment, driver)
        metrics = set(drivers.filter(pl.col("segment") == segment)["metric"])
        assert metrics == set(SEGMENT_DRIVER_METRICS[driver]), (segment, driver, metrics)
    base = path.parent / "installed_base.csv"
    cohorts = read(base if base.is_file() else DATA / "installed_base.csv")
    owners = segments.filter(pl.col("driver") == "installed_growth").height
    assert owners <= 1, "one segment owns the pre-grid cards"
    if cohorts.height:
        assert owners == 1, "the pre-grid cards need an installed_growth segment to own them"


@pytest.mark.parametrize("path", table_files("release_path"), ids=rel)
def test_release_path_rows_name_firms_and_default_everything(path: Path) -> None:
    frame = read(path)
    if frame.height == 0:
        return
    firms = set(read(DATA / "firms.csv")["firm"])
    assert set(frame["firm"]) <= firms | {"*"}
    default = set(frame.filter(pl.col("firm") == "*")["metric"])
    assert default == set(TABLES["release_path"].metrics), "the * row covers every firm"


# --- Actuals ---------------------------------------------------------------------------------

# A total over the window is reported after the window closes, unless it is an advance figure
# (orders for the period, an in-year estimate) whose note says so; a level (tokens a day, cards
# installed) is reported at a moment inside its month.
WINDOW_TOTALS = {"units_shipped", "a100_equivalents_shipped", "revenue_usd", "card_share"}
ADVANCE = re.compile(r"\b(ordered|orders|estimates?|forecasts?|plans?)\b", re.I)


def test_actuals_are_well_formed_and_published_after_their_window() -> None:
    act = read(DATA / "actuals.csv")
    assert act.height > 0 and act["id"].is_unique().all()
    assert set(ACTUAL_QUANTITIES) >= set(act["quantity"])
    start, end = grid("base")
    for row in act.iter_rows(named=True):
        where = row["id"]
        assert row["unit"] == ACTUAL_QUANTITIES[row["quantity"]], where
        value = num(row["value"])
        low = num(row["low"]) if row["low"] else value
        high = num(row["high"]) if row["high"] else value
        assert 0 < low <= value <= high, where
        first, last = month_start(row["start"]), month_end(row["end"])
        assert first <= last, where
        assert start <= first and last <= month_end(end.isoformat()[:7]), f"{where}: off grid"
        published = day(row["published"])
        if row["quantity"] in WINDOW_TOTALS:
            assert published > last or (published >= first and ADVANCE.search(row["note"])), \
                f"{where}: published before its window closed, and not marked as an advance figure"
        else:
            assert published >= month_start(row["end"]), f"{where}: published before its month"
        if row["quantity"] == "card_share":
            assert value <= 1 and high <= 1, where


def test_actuals_filters_name_known_chips_and_buyers() -> None:
    act = read(DATA / "actuals.csv")
    chips = base_chips()
    firms = set(read(DATA / "firms.csv")["firm"])
    segments = set(read(DATA / "segments.csv")["segment"])
    for row in act.iter_rows(named=True):
        where = row["id"]
        match = chips
        for column in ("vendor", "family", "sku"):
            if row[column]:
                assert row[column] in set(chips[column]), f"{where}: unknown {column}"
                match = match.filter(pl.col(column) == row[column])
        assert match.height > 0, f"{where}: vendor/family/sku filters select no chip together"
        if row["firm"]:
            assert row["firm"] in firms | segments, where
        if row["quantity"] == "tokens_per_day":
            assert not (row["vendor"] or row["family"] or row["sku"]), f"{where}: tokens"
            assert not row["firm"] or row["firm"] in firms, f"{where}: only firms serve tokens"
        if row["quantity"] == "card_share":
            assert row["vendor"] or row["family"] or row["sku"], f"{where}: a share of what?"


# --- Firms, releases, model classes, formulas, correlations ----------------------------------

@pytest.mark.parametrize("path", table_files("model_releases"), ids=rel)
def test_releases_reference_firms_and_classes(path: Path) -> None:
    firms = set(read(DATA / "firms.csv")["firm"])
    releases = read(path)
    assert set(releases["firm"]) <= firms
    sibling = path.parent / "model_classes.csv"
    classes = set(read(sibling if sibling.is_file() else DATA / "model_classes.csv")[
        "model_class"])
    assert set(releases["model_class"]) <= classes
    for firm, released, source in releases.select("firm", "release_date", "source").iter_rows():
        if re.fullmatch(r"[a-z]+-\d{4}-\d{2}-\d{2}", source):
            assert source == f"{firm}-{released}", "an announcement id is <firm>-<date>"


def test_firms_and_releases_shape() -> None:
    firms = read(DATA / "firms.csv")
    assert firms.height == 10 and firms["firm"].is_unique().all()
    assert {"baidu", "huawei", "alibaba", "tencent", "bytedance"} <= set(firms["firm"])
    assert (firms["firm"].str.contains(r"^[a-z0-9-]+$")).all()
    releases = read(DATA / "model_releases.csv")
    assert set(releases["firm"]) == set(firms["firm"]), "every firm has releases"
    counts = releases.group_by("firm").len()
    assert counts["len"].min() >= 2 and counts["len"].max() <= 8
    # published history only (later generations come from release_path.csv), inside the grid
    assert releases["release_date"].min() >= "2022-01-01"
    assert releases["release_date"].max() <= "2025-12-31"
    anchors = {("baidu", "ERNIE Bot"): "2023-03-16", ("deepseek", "DeepSeek-V3"): "2024-12-26",
               ("zhipu", "GLM-130B"): "2022-08-04", ("moonshot", "Kimi K2"): "2025-07-11"}
    for (firm, model), released in anchors.items():
        hit = releases.filter((pl.col("firm") == firm) & (pl.col("model") == model))
        assert hit["release_date"].to_list() == [released]


def test_model_classes_defaults_and_moe() -> None:
    mc = read(DATA / "model_classes.csv")

    def get(cls: str, metric: str) -> dict[str, str]:
        return mc.filter((pl.col("model_class") == cls) & (pl.col("metric") == metric)).row(
            0, named=True)

    mfu = get("*", "mfu")
    assert mfu["dist"] != "fixed" and 0.2 <= num(mfu["low"]) and num(mfu["high"]) <= 0.55
    assert num(get("gpt3-class", "mfu")["value"]) == 0.462
    g4 = 6 * num(get("gpt4-class", "active_params")["value"]) * num(
        get("gpt4-class", "training_tokens")["value"])
    assert 1.5e25 < g4 < 3e25  # Epoch AI: about 2.1e25 FLOPs
    v3 = 6 * num(get("moe-2024", "active_params")["value"]) * num(
        get("moe-2024", "training_tokens")["value"])
    hours = 2.788e6 * 3600  # deepseek-v3-report: 2.788M H800-hours at 989 TFLOPS dense BF16
    assert v3 / (hours * 989e12) == pytest.approx(num(get("moe-2024", "mfu")["value"]), abs=0.01)
    for cls in set(mc["model_class"]) - {"*"}:
        tot, act = get(cls, "total_params"), get(cls, "active_params")
        # every draw must keep active <= total: compare the ranges, not only the points
        assert num(act["high"] or act["value"]) <= num(tot["low"] or tot["value"]), cls
    for metric in ("active_params", "total_params", "training_tokens"):
        assert get("frontier-2025", metric)["dist"] != "fixed", metric


def test_formulas_use_known_names_only() -> None:
    names = {"active_params", "total_params", "training_tokens", "dau", "questions_per_user_day",
             "words_per_answer", "tokens_per_word", "prompt_tokens"}
    formulas = read(DATA / "compute_formulas.csv")
    assert set(formulas["name"]) == {"training_flops", "inference_flops_per_token",
                                     "tokens_per_day"}
    for expression in formulas["expression"]:
        words = set(re.findall(r"[A-Za-z_]\w*", expression))
        assert words <= names, words - names


def test_correlations_name_uncertain_rows() -> None:
    corr = read(DATA / "correlations.csv")
    for row in corr.iter_rows(named=True):
        assert row["table"] in NUMERIC and row["metric"] in TABLES[row["table"]].metrics
        assert -1 < num(row["rho"]) < 1
        frame = read(DATA / f"{row['table']}.csv")
        members = frame.filter((pl.col("metric") == row["metric"])
                               & ~pl.col("dist").is_in(["", "fixed"]))
        assert members.height >= 2, f"group {row['group']} correlates nothing"


# --- Scenarios -------------------------------------------------------------------------------

def _known_keys() -> dict[str, set[str]]:
    chips = base_chips()
    return {
        "firm": set(read(DATA / "firms.csv")["firm"]) | {"*"},
        "model_class": set(read(DATA / "model_classes.csv")["model_class"]) | {"*"},
        "segment": set(read(DATA / "segments.csv")["segment"]),
        "vendor": set(chips["vendor"]),
        "sku": set(chips["sku"]) | {"*"},
        "year": {y for t in ("vendor_share", "sku_mix", "installed_base")
                 for y in read(DATA / f"{t}.csv")["year"]},
    }


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_scenario_files_refer_to_existing_things(path: Path) -> None:
    doc = load_yaml(path)
    assert set(doc) <= {"name", "description", "extends", "settings", "tables", "set"}
    assert doc["name"] == path.stem and doc.get("description")
    config = doc.get("settings") or {}
    assert set(config) <= {"start", "end", "inference_mode", "calibrate", "fit_until"}
    for key in ("start", "end"):
        if key in config:
            assert isinstance(config[key], str) and re.fullmatch(r"\d{4}-\d{2}", config[key])
    assert config.get("inference_mode", "compute") in {"compute", "roofline"}
    parent = doc.get("extends")
    if parent is not None:
        assert (SCENARIOS / f"{parent}.yaml").is_file()
    for table, file in (doc.get("tables") or {}).items():
        assert table in TABLES
        target = SCENARIOS / file
        assert target.is_file(), f"{path.name}: {file} does not exist"
        assert target.stem == table
    known = _known_keys()
    for item in doc.get("set") or []:
        table = item["table"]
        assert table in NUMERIC, item
        spec = TABLES[table]
        assert set(item) <= {"table", *spec.all_columns}, item
        for key in [*spec.keys, "metric", "value", "unit", "source"]:
            assert key in item, (item, key)
        for key in spec.keys:
            assert str(item[key]) in known[key], f"{path.name}: unknown {key} {item[key]!r}"
        assert spec.metrics[item["metric"]].unit == item["unit"], item
        assert isinstance(item["value"], int | float), f"YAML reads {item['value']!r} as text"
        if item.get("dist", "fixed") != "fixed":
            assert item["low"] <= item["value"] <= item["high"], item


@pytest.mark.parametrize("name", ["bull", "bear"])
def test_bull_bear_keep_year_shares_summing_to_one(name: str) -> None:
    shares = resolve(name)["vendor_share"].with_columns(pl.col("value").cast(pl.Float64))
    base = read(DATA / "vendor_share.csv")
    assert shares.height == base.height, "set: replaces shares, it adds no vendor-year"
    for year, total in shares.group_by("year").agg(pl.col("value").sum()).iter_rows():
        assert total == pytest.approx(1, abs=SHARE_TOLERANCE), year


@pytest.mark.parametrize("name", ["bull", "bear"])
def test_bull_bear_move_each_input_their_way(name: str) -> None:
    """Every number bull sets raises demand or NVIDIA's share against base; bear lowers it."""
    doc = load_yaml(SCENARIOS / f"{name}.yaml")
    base = resolve("base")
    sign = 1 if name == "bull" else -1
    for item in doc["set"]:
        spec = TABLES[item["table"]]
        frame = base[item["table"]]
        key = spec.keys[-1]
        match = frame.filter((pl.col("metric") == item["metric"])
                             & pl.all_horizontal(pl.col(k) == str(item[k]) for k in spec.keys))
        if item["table"] == "vendor_share" and item["vendor"] != "NVIDIA":
            continue  # the others' shares make room for NVIDIA's
        old = num(match["value"][0]) if match.height else point(
            frame, key, str(item[key]), item["metric"])
        assert sign * (item["value"] - old) > 0, (item[key], item["metric"], old, item["value"])


@pytest.mark.parametrize("path", [p for p in SCENARIO_FILES if load_yaml(p).get("set")],
                         ids=lambda p: p.name)
def test_items_are_the_base_changed_as_their_source_says(path: Path) -> None:
    """An item whose source says 'base xK' is the base row with value, low, mode and high
    multiplied by K; one that says '(NVIDIA +d, Huawei -d' is the base share shifted by d
    (value and mode exactly, low and high kept inside [0, 1])."""
    base = resolve("base")
    checked = 0
    for item in load_yaml(path)["set"]:
        source = str(item["source"])
        if found := re.search(r"base x(\d+(?:\.\d+)?)", source):
            row, factor = row_of(base, item), float(found.group(1))
            for field in ("value", "low", "mode", "high"):
                if row[field]:
                    assert item[field] == pytest.approx(num(row[field]) * factor, rel=1e-9), (
                        item, field)
            checked += 1
        shifts = dict(re.findall(r"(NVIDIA|Huawei) ([+-]\d+(?:\.\d+)?)", source))
        if item["table"] == "vendor_share" and item["vendor"] in shifts:
            row, shift = row_of(base, item), float(shifts[item["vendor"]])
            for field in ("value", "mode"):
                assert item[field] == pytest.approx(num(row[field]) + shift, abs=1e-9), field
            for field in ("low", "high"):
                want = min(1.0, max(0.0, num(row[field]) + shift))
                assert item[field] == pytest.approx(want, abs=1e-9), (item, field)
            checked += 1
    text = path.read_text(encoding="utf-8")
    if "base x" in text or "NVIDIA +" in text or "NVIDIA -" in text:
        assert checked > 0


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_scenario_resolves_to_complete_inputs(name: str) -> None:
    """Every scenario, resolved here: each firm and release class has every metric its mode
    needs, and every month of the grid has a vendor with a legal, launched chip in its mix."""
    tables = resolve(name)
    mode = settings(name).get("inference_mode", "compute")

    def needed(table: str) -> set[str]:
        return {m.name for m in TABLES[table].metrics.values() if m.needed_in(mode)}

    def covered(frame: pl.DataFrame, key: str, entity: str) -> set[str]:
        return set(frame.filter(pl.col(key).is_in([entity, "*"]))["metric"])

    for firm in tables["firms"]["firm"]:
        assert needed("usage") <= covered(tables["usage"], "firm", firm), firm
        if tables["release_path"].height:
            assert needed("release_path") <= covered(tables["release_path"], "firm", firm)
    for cls in set(tables["model_releases"]["model_class"]):
        assert needed("model_classes") <= covered(tables["model_classes"], "model_class", cls)
    assert needed("fleet") <= set(tables["fleet"]["metric"])

    chips = tables["chips"]
    vendor = dict(chips.select("sku", "vendor").iter_rows())
    launch = {s: day(d) for s, d in chips.select("sku", "launch_date").iter_rows()}
    us = set(chips.filter(pl.col("export_control") == "us")["sku"])
    shares = {(int(y), v): num(x) for y, v, x in
              tables["vendor_share"].select("year", "vendor", "value").iter_rows()}
    mix: dict[tuple[int, str], set[str]] = defaultdict(set)
    for year, sku in tables["sku_mix"].select("year", "sku").iter_rows():
        mix[(int(year), vendor[sku])].add(sku)
    for year, v in shares:
        if shares[(year, v)] > 0:
            assert mix[(year, v)], f"{v} has a {year} share but no {year} card mix"
    years = sorted({y for y, _ in shares})
    start, end = grid(name)
    for first in months(start, end):
        year = min(max(first.year, years[0]), years[-1])
        mid = first.replace(day=15)
        last = month_end(first.isoformat()[:7])
        legal = legal_on(tables["export_regimes"], mid)
        sellers = [v for (y, v), s in shares.items() if y == year and s > 0
                   and any(launch[k] < last and (k not in us or k in legal)
                           for k in mix[(year, v)])]
        assert sellers, f"{name}: no vendor can ship a card in {first:%Y-%m}"


@pytest.mark.parametrize("name", ["seed-2023", "seed-2023-ranges"])
def test_seed_scenario_reproduces_the_article(name: str) -> None:
    """tests/golden/FACTS.md: 843.1 A100s to train, 16,255.1 to serve, 10 x 10 x (sum) = 1.71
    million (S7, S10, S12); the golden tests run the same world through the model."""
    tables = resolve(name)
    releases, mc, usage = tables["model_releases"], tables["model_classes"], tables["usage"]
    assert releases.height == 10 and releases["firm"].is_unique().all()
    assert set(releases["release_date"]) == {"2023-04-01"}
    assert set(tables["export_regimes"]["sku"]) == {"A100-80GB-SXM"}
    assert set(tables["sku_mix"]["sku"]) == {"A100-80GB-SXM"}
    assert set(tables["vendor_share"]["vendor"]) == {"NVIDIA"}
    assert set(tables["vendor_share"]["value"].cast(pl.Float64)) == {1.0}
    for table in MAY_BE_EMPTY:
        assert tables[table].height == 0, f"the article has no {table}"
    cls = releases["model_class"][0]
    fleet = tables["fleet"]

    def c(metric: str) -> float:
        return point(mc, "model_class", cls, metric)

    def u(metric: str) -> float:
        return point(usage, "firm", releases["firm"][0], metric)

    def f(metric: str) -> float:
        return num(fleet.filter(pl.col("metric") == metric)["value"][0])

    ref_flops = f("reference_tflops") * 1e12
    train = 6 * c("active_params") * c("training_tokens") / (
        ref_flops * c("mfu") * c("training_days") * 86_400)
    tokens = u("dau_target") * u("questions_per_user_day") * (
        u("words_per_answer") * u("tokens_per_word") + u("prompt_tokens"))
    infer = 2 * c("active_params") * tokens / (ref_flops * u("serving_utilization") * 86_400)
    infer *= u("peak_to_average")
    assert train == pytest.approx(843.1, abs=0.05)
    assert infer == pytest.approx(16_255.1, abs=0.05)
    mult = c("compute_multiplier") * c("experiment_multiplier")
    total = releases.height * mult * (train + infer)
    assert total == pytest.approx(1.7098e6, rel=1e-4)
    assert f("training_fleet_retention") == 1 and f("procurement_lead_months") == 0
    assert u("adoption_q") == 0 and u("adoption_p") >= 100  # instantaneous adoption
    # the article's usage is a snapshot: no growth per user, no API traffic, the trained model
    assert u("intensity_growth") == 0 and u("api_tokens_ceiling") == 0
    assert u("served_model_fraction") == 1
    used = pl.concat([mc, usage.rename({"firm": "model_class"})]).filter(
        pl.col("metric") != "bytes_per_param")
    assert set(used["source"]) == {"seed-2023"}, "every number used is the article's"
    if name == "seed-2023":
        assert set(used["dist"]) <= {"fixed", ""}
    else:  # the same points, with ranges to explore
        assert used.filter(~pl.col("dist").is_in(["fixed", ""])).height >= 10


# --- The data dictionary ---------------------------------------------------------------------

def _source_ids() -> set[str]:
    ids: set[str] = set()
    for path in ALL_CSVS:
        ids |= {s for s in read(path)["source"] if not s.startswith("assumption")}
    for path in SCENARIO_FILES:
        ids |= {str(i["source"]) for i in load_yaml(path).get("set") or []
                if not str(i["source"]).startswith("assumption")}
    return ids


def _readme() -> str:
    return (DATA / "README.md").read_text(encoding="utf-8")


def test_every_source_id_is_referenced_in_readme() -> None:
    """A source that is not `assumption: ...` must be a report id listed in data/README.md."""
    readme = _readme()
    missing = sorted(i for i in _source_ids() if f"| `{i}` |" not in readme)
    assert not missing, f"add these ids to the Sources table of data/README.md: {missing}"


def test_readme_sources_are_all_cited() -> None:
    """Every id in the README's Sources tables is cited by data/ (a source column, a `set:`
    item or the text of a source or note), so the table holds no stale rows."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in [*ALL_CSVS, *SCENARIO_FILES])
    listed = re.findall(r"^\| `([^`]+)` \|", _readme().split("\n## Sources", 1)[1], re.M)
    assert len(listed) > 20
    stale = sorted(i for i in listed if not re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])",
                                                      text))
    assert not stale, f"no file cites these README sources: {stale}"


def test_readme_documents_every_table_metric_and_scenario() -> None:
    readme = _readme()
    for name, spec in TABLES.items():
        assert f"### {name}.csv" in readme, name
        for column in spec.all_columns:
            assert f"`{column}`" in readme, (name, column)
        for metric in spec.metrics:
            assert f"`{metric}`" in readme, (name, metric)
    for quantity in ACTUAL_QUANTITIES:
        assert f"`{quantity}`" in readme, quantity
    for path in SCENARIO_FILES:
        assert f"`{path.stem}`" in readme, path.stem
