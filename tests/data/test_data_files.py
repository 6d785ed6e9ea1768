"""The shipped files in data/ against the contract in docs/architecture.md ("Inputs").

Reads the files with polars and yaml only (no chipcast imports), so a broken loader cannot hide
a broken data file and vice versa.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from chipcast.contracts import NUMERIC_TABLES

DATA = Path(__file__).resolve().parents[2] / "data"
SCENARIOS = DATA / "scenarios"
NUMERIC_TAIL = ["metric", "value", "unit", "dist", "low", "mode", "high", "source"]
NUMERIC_KEYS = {
    "chip_specs": ["sku"],
    "vendor_share": ["year", "vendor"],
    "model_classes": ["model_class"],
    "usage": ["firm"],
    "fleet": [],
}
IDENTITY_COLUMNS = {
    "chips": ["sku", "family", "aliases", "vendor", "form_factor", "launch_date", "source"],
    "firms": ["firm", "name", "name_zh", "sector", "rationale", "source"],
    "model_releases": ["firm", "model", "model_class", "release_date", "source"],
    "export_regimes": ["regime", "start_date", "end_date", "sku", "mix_share", "source"],
    "compute_formulas": ["name", "expression", "unit", "source"],
    "correlations": ["group", "table", "metric", "rho", "source"],
}
# metric -> unit, per numeric table: the data contract's whitelist (one source of truth)
UNITS = {table: {metric: m.unit for metric, m in spec.metrics.items()}
         for table, spec in NUMERIC_TABLES.items()}
DISTS = {"", "fixed", "uniform", "triangular", "pert", "lognormal", "normal-truncated"}
VENDORS = {"NVIDIA", "Huawei", "Other"}
ALL_TABLES = set(NUMERIC_KEYS) | set(IDENTITY_COLUMNS)
ALL_CSVS = sorted(DATA.rglob("*.csv"))
SCENARIO_FILES = sorted(SCENARIOS.glob("*.yaml"))


def read(path: Path) -> pl.DataFrame:
    """A CSV as strings (empty cell -> ""), so the tests see exactly what the file holds."""
    return pl.read_csv(path, infer_schema_length=0, empty_string_is_null=False)


def load_yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def table_files(table: str) -> list[Path]:
    """The base file of `table` plus every scenario replacement of it."""
    return [p for p in ALL_CSVS if p.stem == table]


def num(cell: str) -> float:
    return float(cell)


def rel(path: Path) -> str:
    return str(path.relative_to(DATA))


def test_shipped_files_present() -> None:
    for table in ALL_TABLES:
        assert (DATA / f"{table}.csv").is_file(), table
    assert (DATA / "README.md").is_file()
    assert {p.stem for p in SCENARIO_FILES} >= {
        "base", "export-controls-actual", "no-export-controls", "bull", "bear", "seed-2023"}


@pytest.mark.parametrize("path", ALL_CSVS, ids=rel)
def test_csv_parses_with_contract_columns_and_sources(path: Path) -> None:
    raw = path.read_bytes()
    raw.decode("utf-8")  # UTF-8 without a BOM
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in raw and b"\n\n" not in raw, "no CRLF, no blank lines"
    frame = read(path)
    assert frame.height > 0
    table = path.stem
    assert table in ALL_TABLES, f"{rel(path)} is not a contract table"
    if table in NUMERIC_KEYS:
        want = NUMERIC_KEYS[table] + NUMERIC_TAIL
        assert frame.columns in (want, [*want, "note"]), frame.columns
    else:
        assert frame.columns == IDENTITY_COLUMNS[table]
    empty = frame.filter(pl.col("source").str.strip_chars() == "")
    assert empty.height == 0, f"rows without source: {empty.head(3).to_dicts()}"
    bad = frame.filter(pl.col("source").str.starts_with("assumption")
                       & ~pl.col("source").str.contains(r"^assumption: \S"))
    assert bad.height == 0, "an assumption needs a one-line reason: 'assumption: <why>'"


@pytest.mark.parametrize("path", [p for p in ALL_CSVS if p.stem in NUMERIC_KEYS], ids=rel)
def test_numeric_rows_are_consistent(path: Path) -> None:
    table = path.stem
    frame = read(path)
    keys = [*NUMERIC_KEYS[table], "metric"]
    assert frame.select(keys).is_duplicated().sum() == 0, "one row per keys + metric"
    for row in frame.iter_rows(named=True):
        where = f"{rel(path)} {[row[k] for k in keys]}"
        assert UNITS[table].get(row["metric"]) == row["unit"], where
        assert row["dist"] in DISTS, where
        value = num(row["value"])
        assert math.isfinite(value), where
        if row["dist"] in ("", "fixed"):
            continue
        low, high = num(row["low"]), num(row["high"])
        assert low <= value <= high and low < high, where
        if row["mode"]:
            assert low <= num(row["mode"]) <= high, where
        if row["dist"] == "lognormal":
            assert low > 0, where


@pytest.mark.parametrize("path", table_files("vendor_share"), ids=rel)
def test_vendor_shares_sum_to_one_per_year(path: Path) -> None:
    frame = read(path).with_columns(pl.col("year").cast(pl.Int64), pl.col("value").cast(pl.Float64))
    assert set(frame["vendor"]) <= VENDORS
    assert sorted(set(frame["year"])) == list(range(2021, 2031))
    sums = frame.group_by("year").agg(pl.col("value").sum())
    for year, total in sums.iter_rows():
        assert abs(total - 1) < 1e-9, (year, total)


def test_shipped_vendor_share_anchors() -> None:
    """The public anchors: IDC 2021 NVIDIA > 80 %, IDC 2025 NVIDIA ~55 %, domestic ~41 %."""
    vs = read(DATA / "vendor_share.csv").with_columns(pl.col("year").cast(pl.Int64))

    def row(year: int, vendor: str) -> dict[str, str]:
        return vs.filter((pl.col("year") == year) & (pl.col("vendor") == vendor)).row(
            0, named=True)

    r21 = row(2021, "NVIDIA")
    assert num(r21["value"]) >= 0.8 and num(r21["high"]) <= 0.9 and r21["source"] == "idc-2021"
    r25 = row(2025, "NVIDIA")
    assert num(r25["value"]) == pytest.approx(0.55) and r25["source"] == "idc-2025-press"
    domestic = num(row(2025, "Huawei")["value"]) + num(row(2025, "Other")["value"])
    assert 0.41 <= domestic <= 0.45  # 41 % domestic plus a few % non-NVIDIA foreign
    future = vs.filter(pl.col("year") > 2025)
    assert (future["dist"] != "fixed").all(), "future shares carry a distribution"


def test_chips_aliases_and_families() -> None:
    chips = read(DATA / "chips.csv")
    assert chips["sku"].is_unique().all()
    names: dict[str, str] = {}
    for sku, aliases in chips.select("sku", "aliases").iter_rows():
        for name in [sku, *(a.strip() for a in aliases.split(";") if a.strip())]:
            assert name.lower() not in names, f"'{name}' names {names.get(name.lower())} and {sku}"
            names[name.lower()] = sku
    for short, family in (("A100", "A100"), ("A800", "A800"), ("H100", "H100"),
                          ("H800", "H800"), ("H20", "H20"), ("L20", "L20"), ("910B", "910B")):
        sku = names[short.lower()]
        assert chips.filter(pl.col("sku") == sku)["family"][0] == family
    assert names["a100"] == "A100-80GB-SXM"
    chips.with_columns(pl.col("launch_date").str.to_date("%Y-%m-%d", strict=True))
    assert set(chips["vendor"]) <= VENDORS - {"Other"}
    specs = read(DATA / "chip_specs.csv")
    for sku in chips["sku"]:
        metrics = set(specs.filter(pl.col("sku") == sku)["metric"])
        assert metrics == set(UNITS["chip_specs"]), sku
    a100 = specs.filter((pl.col("sku") == "A100-80GB-SXM")
                        & (pl.col("metric") == "dense_fp16_tflops"))
    assert num(a100["value"][0]) == 312


@pytest.mark.parametrize("path", table_files("export_regimes"), ids=rel)
def test_export_regimes_reference_chips_and_mix_sums(path: Path) -> None:
    chips = read(DATA / "chips.csv")
    vendor_of = dict(chips.select("sku", "vendor").iter_rows())
    frame = read(path)
    unknown = set(frame["sku"]) - set(vendor_of)
    assert not unknown, f"SKUs not in chips.csv: {unknown}"
    mix: dict[tuple[str, str], float] = defaultdict(float)
    span: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in frame.iter_rows(named=True):
        mix[(row["regime"], vendor_of[row["sku"]])] += num(row["mix_share"])
        span[row["regime"]].add((row["start_date"], row["end_date"]))
    for key, total in mix.items():
        assert abs(total - 1) < 1e-9, (key, total)
    periods = []
    for regime, dates in span.items():
        assert len(dates) == 1, f"{regime}: one date range per regime"
        start, end = next(iter(dates))
        periods.append((start, end or "9999-12-31", regime))
    periods.sort()
    for (_, end, a), (start, _, b) in zip(periods, periods[1:], strict=False):
        assert end == start, f"regimes {a} and {b} must meet without gap or overlap"
    assert periods[-1][1] == "9999-12-31", "the last regime stays open"


def test_actual_export_timeline() -> None:
    er = read(DATA / "export_regimes.csv")

    def legal(day: str) -> set[str]:
        active = er.filter((pl.col("start_date") <= day)
                           & ((pl.col("end_date") == "") | (pl.col("end_date") > day)))
        return set(active["sku"])

    assert {"A100-80GB-SXM", "H100-SXM"} <= legal("2022-06-01")
    assert not legal("2023-01-01") & {"A100-80GB-SXM", "H100-SXM"}
    assert {"A800-80GB-SXM", "H800-SXM"} <= legal("2023-06-01")
    assert not legal("2024-06-01") & {"A800-80GB-SXM", "H800-SXM"}
    assert {"H20", "L20"} <= legal("2024-06-01")
    assert "H20" not in legal("2025-05-01")
    for day in ("2022-06-01", "2023-06-01", "2024-06-01", "2027-01-01"):
        assert "Ascend-910B" in legal(day), "domestic chips are in every regime"
    nec = read(SCENARIOS / "no-export-controls" / "export_regimes.csv")
    assert {"A100-80GB-SXM", "H100-SXM"} <= set(nec.filter(pl.col("end_date") == "")["sku"])
    assert not set(nec["sku"]) & {"A800-80GB-SXM", "A800-40GB-PCIe", "H800-SXM"}


def _classes_of(path: Path) -> set[str]:
    return set(read(path)["model_class"])


@pytest.mark.parametrize("path", table_files("model_releases"), ids=rel)
def test_releases_reference_firms_and_classes(path: Path) -> None:
    firms = set(read(DATA / "firms.csv")["firm"])
    rel_ = read(path)
    assert set(rel_["firm"]) <= firms
    rel_.with_columns(pl.col("release_date").str.to_date("%Y-%m-%d", strict=True))
    sibling = path.parent / "model_classes.csv"
    classes = _classes_of(sibling if sibling.is_file() else DATA / "model_classes.csv")
    assert set(rel_["model_class"]) <= classes


def test_firms_and_releases_shape() -> None:
    firms = read(DATA / "firms.csv")
    assert firms.height == 10 and firms["firm"].is_unique().all()
    assert {"baidu", "huawei", "alibaba", "tencent", "bytedance"} <= set(firms["firm"])
    assert (firms["firm"].str.contains(r"^[a-z0-9-]+$")).all()
    releases = read(DATA / "model_releases.csv")
    counts = releases.group_by("firm").len()
    assert counts["len"].min() >= 3 and counts["len"].max() <= 8  # about one a year at most
    # inside the default grid (2022-01..2030-12): a run before it would miss its training months
    assert releases["release_date"].min() >= "2022-01-01"
    assert releases["release_date"].max() <= "2030-12-31"
    anchors = {("baidu", "ERNIE Bot"): "2023-03-16", ("deepseek", "DeepSeek-V3"): "2024-12-26"}
    for (firm, model), day in anchors.items():
        hit = releases.filter((pl.col("firm") == firm) & (pl.col("model") == model))
        assert hit["release_date"].to_list() == [day]


def test_model_classes_defaults_and_moe() -> None:
    mc = read(DATA / "model_classes.csv")

    def get(cls: str, metric: str) -> dict[str, str]:
        return mc.filter((pl.col("model_class") == cls) & (pl.col("metric") == metric)).row(
            0, named=True)

    mfu = get("*", "mfu")
    assert mfu["dist"] != "fixed" and 0.2 <= num(mfu["low"]) and num(mfu["high"]) <= 0.55
    for metric in ("experiment_multiplier", "bytes_per_param", "compute_multiplier"):
        get("*", metric)
    assert num(get("gpt3-class", "mfu")["value"]) == 0.462
    g4 = 6 * num(get("gpt4-class", "active_params")["value"]) * num(
        get("gpt4-class", "training_tokens")["value"])
    assert 1.5e25 < g4 < 3e25  # Epoch AI: about 2.1e25 FLOPs
    for cls in set(mc["model_class"]) - {"*"}:
        metrics = set(mc.filter(pl.col("model_class") == cls)["metric"])
        assert {"total_params", "active_params", "training_tokens", "training_days"} <= metrics
        tot, act = get(cls, "total_params"), get(cls, "active_params")
        # every draw must keep active <= total: compare the ranges, not only the points
        assert num(act["high"] or act["value"]) <= num(tot["low"] or tot["value"]), cls
    for cls in ("frontier-2026", "frontier-2028", "frontier-2030"):
        for metric in ("active_params", "total_params", "training_tokens"):
            assert get(cls, metric)["dist"] != "fixed", (cls, metric)


def test_formulas_use_known_names_only() -> None:
    names = {"active_params", "total_params", "training_tokens", "dau", "questions_per_user_day",
             "words_per_answer", "tokens_per_word", "prompt_tokens"}
    formulas = read(DATA / "compute_formulas.csv")
    assert set(formulas["name"]) == {"training_flops", "inference_flops_per_token",
                                     "tokens_per_day"}
    for expression in formulas["expression"]:
        words = set(pl.Series([expression]).str.extract_all(r"[A-Za-z_]\w*")[0].to_list())
        assert words <= names, words - names


def test_correlations_name_uncertain_rows() -> None:
    corr = read(DATA / "correlations.csv")
    for row in corr.iter_rows(named=True):
        assert row["table"] in NUMERIC_KEYS and row["metric"] in UNITS[row["table"]]
        assert -1 < num(row["rho"]) < 1
        frame = read(DATA / f"{row['table']}.csv")
        members = frame.filter((pl.col("metric") == row["metric"]) & (pl.col("dist") != "fixed")
                               & (pl.col("dist") != ""))
        assert members.height >= 2, f"group {row['group']} correlates nothing"


def _scenario_tables(doc: dict[str, Any]) -> dict[str, str]:
    return dict(doc.get("tables") or {})


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_scenario_files_refer_to_existing_things(path: Path) -> None:
    doc = load_yaml(path)
    assert set(doc) <= {"name", "description", "extends", "settings", "tables", "set"}
    assert doc["name"] == path.stem and doc.get("description")
    settings = doc.get("settings") or {}
    assert set(settings) <= {"start", "end", "inference_mode"}
    for key in ("start", "end"):
        if key in settings:
            assert isinstance(settings[key], str) and len(settings[key]) == 7
    parent = doc.get("extends")
    if parent is not None:
        assert (SCENARIOS / f"{parent}.yaml").is_file() or parent == "base"
    for table, file in _scenario_tables(doc).items():
        assert table in ALL_TABLES
        target = SCENARIOS / file
        assert target.is_file(), f"{path.name}: {file} does not exist"
        assert target.stem == table
    for item in doc.get("set") or []:
        table = item["table"]
        assert table in NUMERIC_KEYS, item
        for key in [*NUMERIC_KEYS[table], "metric", "value", "unit", "source"]:
            assert key in item, (item, key)
        assert UNITS[table][item["metric"]] == item["unit"], item
        assert isinstance(item["value"], int | float), f"YAML reads {item['value']!r} as text"
        if item.get("dist", "fixed") != "fixed":
            assert item["low"] <= item["value"] <= item["high"], item


@pytest.mark.parametrize("name", ["bull", "bear"])
def test_bull_bear_keep_year_shares_summing_to_one(name: str) -> None:
    doc = load_yaml(SCENARIOS / f"{name}.yaml")
    base = read(DATA / "vendor_share.csv").with_columns(pl.col("year").cast(pl.Int64))
    shares = {(y, v): num(x) for y, v, x in base.select("year", "vendor", "value").iter_rows()}
    for item in doc["set"]:
        if item["table"] == "vendor_share":
            shares[(item["year"], item["vendor"])] = item["value"]
    for year in range(2021, 2031):
        assert sum(shares[(year, v)] for v in VENDORS) == pytest.approx(1), year


def _point(frame: pl.DataFrame, key_col: str, key: str, metric: str) -> float:
    """The point value of `metric` for `key`, falling back to the `*` default row."""
    for k in (key, "*"):
        hit = frame.filter((pl.col(key_col) == k) & (pl.col("metric") == metric))
        if hit.height:
            return num(hit["value"][0])
    raise KeyError((key, metric))


def _fleet(frame: pl.DataFrame, metric: str) -> float:
    return num(frame.filter(pl.col("metric") == metric)["value"][0])


def _resolve(name: str) -> dict[str, pl.DataFrame]:
    """The numeric and identity tables of a scenario: base files, then each YAML's `tables:`
    and `set:` from the root of its `extends` chain down (a minimal re-implementation, so the
    data can be checked without the loader)."""
    chain: list[dict[str, Any]] = []
    while name != "base":
        doc = load_yaml(SCENARIOS / f"{name}.yaml")
        chain.insert(0, doc)
        name = doc.get("extends") or "base"
    tables = {t: read(DATA / f"{t}.csv") for t in ALL_TABLES}
    for doc in chain:
        for t, f in _scenario_tables(doc).items():
            tables[t] = read(SCENARIOS / f)
        for item in doc.get("set") or []:
            frame = tables[item["table"]]
            match = pl.col("metric") == item["metric"]
            for k in NUMERIC_KEYS[item["table"]]:
                match = match & (pl.col(k) == str(item[k]))
            new = {c: str(item.get(c, "")) for c in frame.columns}
            tables[item["table"]] = pl.concat([frame.filter(~match), pl.DataFrame([new])])
    return tables


@pytest.mark.parametrize("name", ["seed-2023", "seed-2023-ranges"])
def test_seed_scenario_reproduces_the_article(name: str) -> None:
    """tests/golden/FACTS.md: 843.1 A100s to train, 16,255.1 to serve, 10 x 10 x (sum) = 1.71
    million (S7, S10, S12); the golden tests run the same world through the model."""
    tables = _resolve(name)
    releases, mc, usage = tables["model_releases"], tables["model_classes"], tables["usage"]
    assert releases.height == 10 and releases["firm"].is_unique().all()
    assert set(releases["release_date"]) == {"2023-04-01"}
    assert set(tables["export_regimes"]["sku"]) == {"A100-80GB-SXM"}
    shares = tables["vendor_share"].filter(pl.col("vendor") == "NVIDIA")
    assert set(shares["value"].cast(pl.Float64)) == {1.0}
    cls = releases["model_class"][0]
    ref_flops = _fleet(tables["fleet"], "reference_tflops") * 1e12

    def c(metric: str) -> float:
        return _point(mc, "model_class", cls, metric)

    def u(metric: str) -> float:
        return _point(usage, "firm", releases["firm"][0], metric)

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
    assert _fleet(tables["fleet"], "training_fleet_retention") == 1
    assert u("adoption_q") == 0 and u("adoption_p") >= 100  # instantaneous adoption
    used = pl.concat([mc, usage.rename({"firm": "model_class"})]).filter(
        pl.col("metric") != "bytes_per_param")
    assert set(used["source"]) == {"seed-2023"}, "every number used is the article's"
    if name == "seed-2023":
        assert set(used["dist"]) <= {"fixed", ""}
    else:  # the same points, with ranges to explore
        assert used.filter(pl.col("dist").is_in(["fixed", ""]).not_()).height >= 10


def test_every_source_id_is_referenced_in_readme() -> None:
    """A source that is not `assumption: ...` must be a report id listed in data/README.md."""
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    ids: set[str] = set()
    for path in ALL_CSVS:
        ids |= {s for s in read(path)["source"] if not s.startswith("assumption")}
    for path in SCENARIO_FILES:
        ids |= {str(i["source"]) for i in load_yaml(path).get("set") or []
                if not str(i["source"]).startswith("assumption")}
    missing = sorted(i for i in ids if f"| `{i}` |" not in readme)
    assert not missing, f"add these ids to the Sources table of data/README.md: {missing}"
