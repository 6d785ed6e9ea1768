"""Bad-input catalogue (issue 4): each case copies a small valid data set, corrupts one thing,
then runs `chipcast validate` and `chipcast run` in-process. Both must exit 1 with a message that
names the file and the row or column (plus a fragment of the fix where one is expected), and the
run must leave the outputs already published (a real run of the valid data, made once per module)
byte-identical.

The base data set is the test fixture tests/fixtures/data (stable, owned by the tests; see
tests/fixtures/fixture_data.py) rather than data/, so cases do not break when the shipped numbers
change; test_shipped_data_validates covers data/. Its new tables (segments, segment_drivers,
installed_base, release_path) are header-only: cases append valid scaffolding rows (a segment
with every number its driver reads) and then the one fault.

Cases in UNENFORCED are rules an analyst needs that the input suites do not check yet: they are
strict xfails, so each turns into a failure (remove it from UNENFORCED) once the rule exists.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fixture_data import DATA, copy_data

from chipcast.cli import main
from chipcast.inputs import available_scenarios
from chipcast.project import SHIPPED_DATA as DATA_DIR


def published_snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder` (relative path -> hex digest)."""
    if not folder.is_dir():
        return {}
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_outputs_unchanged(out_dir: Path, action: Callable[[], int]) -> int:
    """Run `action` (e.g. `lambda: main(["run", "--data-dir", d, "--out-dir", out])`) and assert
    every published file under out_dir is byte-identical afterwards (the validation JSON and the
    runs.log history excluded: they record the failure; .lock and .lock.holder name the last
    writer; .cache/ holds computed steps, not published outputs).
    Returns the action's exit code."""
    def published() -> dict[str, str]:
        return {k: v for k, v in published_snapshot(out_dir).items()
                if not k.startswith(("validation", ".cache"))
                and k not in ("runs.log", ".lock", ".lock.holder")}

    before = published()
    code = action()
    assert published() == before
    return code


def _replace(rel: str, old: str, new: str, count: int = 1) -> Callable[[Path], None]:
    def corrupt(d: Path) -> None:
        path = d / rel
        text = path.read_text(encoding="utf-8")
        assert text.count(old) >= 1, f"fixture drifted: {old!r} not in {rel}"
        path.write_text(text.replace(old, new, count), encoding="utf-8")
    return corrupt


def _bytes(rel: str, fn: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def corrupt(d: Path) -> None:
        path = d / rel
        path.write_bytes(fn(path.read_bytes()))
    return corrupt


def _delete(rel: str) -> Callable[[Path], None]:
    return lambda d: (d / rel).unlink()


def _append(rel: str, rows: str) -> Callable[[Path], None]:
    """Add data rows at the end of a file (the fixture's new tables are header-only)."""
    def corrupt(d: Path) -> None:
        path = d / rel
        text = path.read_text(encoding="utf-8")
        assert text.endswith("\n"), f"fixture drifted: {rel} lacks a final newline"
        path.write_text(text + rows, encoding="utf-8")
    return corrupt


def _all(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    """Apply several edits: valid scaffolding rows first, then the one corruption."""
    def corrupt(d: Path) -> None:
        for step in steps:
            step(d)
    return corrupt


# A valid market segment of each driver kind, with every number its driver reads
# (contracts.SEGMENT_DRIVER_METRICS); cases add one fault on top.
_LOGISTIC_SEGMENT = _append("segments.csv", "gov,Government,logistic,test segment,test\n")
_LOGISTIC_DRIVERS = ("gov,ceiling_a100e,1000,A100-eq,,,,,test,\n"
                     "gov,midpoint_year,2025,year,,,,,test,\n"
                     "gov,growth_rate,0.5,1/year,,,,,test,\n")  # + training_share
_OWNER = _all(
    _append("segments.csv", "rest,Rest of market,installed_growth,owns the fleet,test\n"),
    _append("segment_drivers.csv", "rest,growth_rate,0.5,1/year,,,,,test,\n"
                                   "rest,growth_decay,0.1,1/year,,,,,test,\n"
                                   "rest,training_share,0.3,fraction,,,,,test,\n"))
_TOKENS_ROW = "tok,tokens_per_day,{chip},,,a,2023-01,2023-12,5e10,,,tokens/day,test,2024-03-01,\n"


def _symlink(rel: str, target: str) -> Callable[[Path], None]:
    """Replace a data file by a symlink to `target` (absolute, or relative to the file)."""
    def corrupt(d: Path) -> None:
        path = d / rel
        path.unlink()
        path.symlink_to(target)
    return corrupt


def _fifo(rel: str) -> Callable[[Path], None]:
    def corrupt(d: Path) -> None:
        (d / rel).unlink()
        os.mkfifo(d / rel)
    return corrupt


def _folder(rel: str) -> Callable[[Path], None]:
    def corrupt(d: Path) -> None:
        (d / rel).unlink()
        (d / rel).mkdir()
        (d / rel / "inner.csv").write_text("x\n", encoding="utf-8")
    return corrupt


def _oversize(rel: str, size: int) -> Callable[[Path], None]:
    """Grow a file to `size` bytes (sparse: no disk used) past the reader's cap."""
    def corrupt(d: Path) -> None:
        os.truncate(d / rel, size)
    return corrupt


def _write(rel: str, text: str) -> Callable[[Path], None]:
    return lambda d: (d / rel).write_text(text, encoding="utf-8")


# Ten lines of nested aliases: 9**9 (387 million) strings if expanded.
_ALIAS_BOMB = "name: bomb\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n"
    for a, b in zip("abcdefgh", "bcdefghi", strict=True))
_CYRILLIC_A = "\u0430"  # looks like the ASCII 'a'


# (id, corruption, scenario, fragments that must all appear in the output). Row numbers are
# 1-based data rows of tests/fixtures/data (row 0 = the header; a scenario's `set:` item number).
CASES: list[tuple[str, Callable[[Path], None], str, list[str]]] = [
    # --- reading errors (caught before GX) ---
    ("non-utf8", _bytes("firms.csv", lambda b: b.replace(b"Firm A,", b"Firm \xefA,", 1)), "base",
     ["firms.csv", "byte offset", "row 1", "re-save as UTF-8"]),
    ("utf16", _bytes("firms.csv", lambda b: b.decode().encode("utf-16")), "base",
     ["firms.csv", "UTF-16", "re-save as UTF-8"]),
    ("semicolons", _bytes("chip_specs.csv", lambda b: b.replace(b",", b";")), "base",
     ["chip_specs.csv", "row 0", "';'"]),
    ("tabs", _bytes("fleet.csv", lambda b: b.replace(b",", b"\t")), "base",
     ["fleet.csv", "row 0", "tab"]),
    ("missing-column", _bytes("firms.csv", lambda b: b"\n".join(
        x.rsplit(b",", 1)[0] for x in b.split(b"\n") if x) + b"\n"), "base",
     ["firms.csv", "column 'source'", "missing"]),
    ("extra-column", _bytes("fleet.csv", lambda b: b"\n".join(
        x + b",z" for x in b.split(b"\n") if x) + b"\n"), "base",
     ["fleet.csv", "row 0", "unknown column", "z"]),
    ("duplicate-header", _replace("model_releases.csv", "release_date,source",
                                  "release_date,firm"), "base",
     ["model_releases.csv", "duplicate column", "column 'firm'"]),
    ("blank-line", _replace("chips.csv", "\nA800", "\n\nA800"), "base",
     ["chips.csv", "row 2", "blank line"]),
    ("excel-serial-date", _replace("model_releases.csv", "2022-07-01", "44743"), "base",
     ["model_releases.csv", "row 1", "column 'release_date'", "Excel", "2022-07-01"]),
    ("thousands-separator", _replace("chip_specs.csv", ",10000,", ',"10,000",'), "base",
     ["chip_specs.csv", "row 2", "column 'value'", "remove separators"]),
    ("percentage-cell", _replace("vendor_share.csv", "NVIDIA,share,0.8,", "NVIDIA,share,80%,"),
     "base", ["vendor_share.csv", "row 1", "column 'value'", "fraction 0.8"]),
    ("unit-in-number", _replace("chip_specs.csv", "tflops,312,", "tflops,312 TFLOPS,"), "base",
     ["chip_specs.csv", "row 1", "column 'value'", "unit"]),
    ("non-numeric", _replace("fleet.csv", "years,1,", "years,one,"), "base",
     ["fleet.csv", "column 'value'", "not a number"]),
    ("bad-iso-date", _replace("export_regimes.csv", "2022-10-07,,A800", "2022-13-07,,A800"),
     "base", ["export_regimes.csv", "row 2", "column 'start_date'", "month must be in 1..12",
              "write an existing date as YYYY-MM-DD"]),
    ("dmy-date", _replace("chips.csv", "2020-11-16", "16/11/2020"), "base",
     ["chips.csv", "row 1", "column 'launch_date'", "YYYY-MM-DD"]),
    ("date-with-time", _replace("chips.csv", "2020-11-16", "2020-11-16 00:00:00"), "base",
     ["chips.csv", "row 1", "column 'launch_date'", "drop the time"]),
    ("ragged-row", _replace("firms.csv", "trains in June 2022,", "trains in June, 2022,"), "base",
     ["firms.csv", "row 1", "fields"]),
    ("decimal-comma", _replace("usage.csv", ",1.3333333333333333,", ',"1,3333333333333333",'),
     "base", ["usage.csv", "row 6", "decimal point"]),
    ("year-not-integer", _replace("vendor_share.csv", "2023,Huawei", "2023.5,Huawei"), "base",
     ["vendor_share.csv", "row 4", "column 'year'"]),
    ("dist-without-bounds", _replace("model_classes.csv", "uniform,0.3,,0.6", "uniform,,,"),
     "base", ["model_classes.csv", "row 1", "needs both low and high"]),
    ("missing-file", _delete("correlations.csv"), "base", ["correlations.csv", "not found"]),
    ("empty-file", _bytes("fleet.csv", lambda b: b""), "base", ["fleet.csv", "empty"]),
    ("header-only-blank-first-line", _bytes("firms.csv", lambda b: b"\n" + b), "base",
     ["firms.csv", "row 0"]),
    ("bad-yaml", _replace("scenarios/roofline.yaml", "settings: {end", "settings: {end: [x"),
     "roofline", ["scenarios/roofline.yaml", "row", "YAML"]),
    ("unknown-scenario", lambda d: None, "nope", ["nope", "roofline", "base"]),
    ("set-unknown-table", _replace("scenarios/roofline.yaml", "table: model_classes",
                                   "table: modelclasses"), "roofline",
     ["scenarios/roofline.yaml", "row 1", "column 'table'", "modelclasses"]),
    ("set-bad-value", _replace("scenarios/roofline.yaml", "value: 10,", "value: ten,"),
     "roofline", ["scenarios/roofline.yaml", "row 1", "column 'value'"]),
    ("bad-inference-mode", _replace("scenarios/roofline.yaml", "inference_mode: roofline",
                                    "inference_mode: magic"),
     "roofline", ["scenarios/roofline.yaml", "inference_mode", "magic"]),
    ("bad-setting-month", _replace("scenarios/from-2023.yaml", "2023-01", "Jan 2023"),
     "from-2023", ["scenarios/from-2023.yaml", "settings.start", "YYYY-MM"]),
    ("replacement-table-missing", _delete("scenarios/roofline/firms.csv"), "roofline",
     ["scenarios/roofline/firms.csv", "not found"]),
    # --- data contract failures (GX suites) ---
    ("tflops-as-flops", _replace("chip_specs.csv", "tflops,312,", "tflops,3.12e14,"), "base",
     ["chip_specs.csv", "row 1", "column 'value'", "divide by 1e+12", "FLOP/s"]),
    ("wrong-unit", _replace("chip_specs.csv", "312,TFLOPS", "312,FLOPS"), "base",
     ["chip_specs.csv", "row 1", "column 'unit'", "TFLOPS"]),
    ("mfu-percent", _replace("model_classes.csv", "0.5,fraction,uniform,0.3,,0.6",
                             "50,fraction,uniform,30,,60"), "base",
     ["model_classes.csv", "row 1", "column 'value'", "divide by 100"]),
    ("params-in-billions", _replace("model_classes.csv", "total_params,1e11",
                                    "total_params,100"), "base",
     ["model_classes.csv", "row 6", "multiply by 1e+09"]),
    ("shares-as-percentages", _bytes("vendor_share.csv", lambda b: b.replace(
        b"2022,NVIDIA,share,0.8,", b"2022,NVIDIA,share,80,").replace(
        b"2022,Huawei,share,0.2,", b"2022,Huawei,share,20,")), "base",
     ["vendor_share.csv", "row 1", "divide by 100"]),
    # shares are of cards and split the whole market: each year sums to exactly 1
    ("shares-sum-over-one", _replace("vendor_share.csv", "2022,NVIDIA,share,0.8,",
                                     "2022,NVIDIA,share,0.95,"), "base",
     ["vendor_share.csv", "row 1", "column 'total_share'", "do not sum to 1", "values: 1.15",
      "every vendor of the year, summing to 1"]),
    ("shares-sum-under-one", _replace("vendor_share.csv", "2022,NVIDIA,share,0.8,",
                                      "2022,NVIDIA,share,0.7,"), "base",
     ["vendor_share.csv", "row 1", "column 'total_share'", "do not sum to 1", "values: 0.9",
      "a missing vendor's share would be handed to the others"]),
    ("missing-year", _bytes("vendor_share.csv", lambda b: b.replace(b"\n2023,", b"\n2025,")),
     "base", ["vendor_share.csv", "column 'rows'", "no shares"]),
    ("duplicate-key", _replace("chip_specs.csv", "A800-80GB-SXM,dense", "A100-80GB-SXM,dense"),
     "base", ["chip_specs.csv", "row 3", "duplicate key"]),
    ("regime-unknown-sku", _replace("export_regimes.csv", ",A800-80GB-SXM,", ",A800-80GB,"),
     "base", ["export_regimes.csv", "row 2", "column 'sku'", "A800-80GB",
              "list chips whose export_control is us"]),
    ("release-unknown-firm", _replace("model_releases.csv", "b,b-1", "firm-b,b-1"),
     "base", ["model_releases.csv", "row 2", "column 'firm'", "firm-b"]),
    ("release-unknown-class", _replace("model_releases.csv", "b-1,c1", "b-1,gpt5-class"),
     "base", ["model_releases.csv", "row 2", "column 'model_class'", "gpt5-class"]),
    ("usage-unknown-firm", _replace("usage.csv", "a,dau_target", "firm-a,dau_target"),
     "base", ["usage.csv", "row 10", "column 'firm'", "firm-a"]),
    ("low-above-value", _replace("usage.csv", "triangular,1.2,", "triangular,1.4,"), "base",
     ["usage.csv", "row 6", "value is below low"]),
    ("unknown-dist", _replace("usage.csv", "triangular", "gamma"), "base",
     ["usage.csv", "row 6", "column 'dist'", "gamma"]),
    ("formula-injection", _replace("compute_formulas.csv", "2 * active_params",
                                   "__import__('os')"), "base",
     ["compute_formulas.csv", "row 2", "does not parse"]),
    ("specs-unknown-sku", _replace("chip_specs.csv", "Ascend-910,dense", "Ascend-910C,dense"),
     "base", ["chip_specs.csv", "row 5", "column 'sku'", "Ascend-910C"]),
    ("alias-clash", _replace("chips.csv", ",A800,A800,", ",A800,A100,"), "base",
     ["chips.csv", "row 2", "alias"]),
    ("regime-end-before-start", _replace("export_regimes.csv", "2019-01-01,2022-10-07,A100",
                                         "2019-01-01,2018-10-07,A100"),
     "base", ["export_regimes.csv", "row 1", "end_date is before start_date"]),
    ("unknown-metric", _replace("fleet.csv", "chip_lifetime_years", "chip_life_years"), "base",
     ["fleet.csv", "row 1", "column 'metric'", "chip_life_years"]),
    ("fleet-metric-missing", _bytes("fleet.csv", lambda b: b"\n".join(
        x for x in b.split(b"\n") if not x.startswith(b"reference_tflops")) ), "base",
     ["fleet.csv", "reference_tflops"]),
    ("empty-source", _replace("firms.csv", "December 2022,test", "December 2022,"), "base",
     ["firms.csv", "row 2", "column 'source'", "empty"]),
    ("rho-out-of-range", _replace("correlations.csv", "mfu,0.5", "mfu,1.5"), "base",
     ["correlations.csv", "row 1", "column 'rho'"]),
    # vendors are free text in chips.csv; vendor_share may only name the chips' vendors, so
    # renaming a chip's vendor strands that vendor's shares
    ("chip-vendor-renamed", _replace("chips.csv", "910,910,Huawei", "910,910,AMD"), "base",
     ["vendor_share.csv", "row 2", "row 4", "column 'vendor'", "values: Huawei",
      "vendor has no chip in chips.csv", "use a vendor of chips.csv (case-sensitive): AMD"]),
    ("class-metric-missing", _bytes("model_classes.csv", lambda b: b"\n".join(
        x for x in b.split(b"\n") if not x.startswith(b"*,mfu"))), "base",
     ["model_releases.csv", "c1/mfu"]),
    ("missing-price", _bytes("chip_specs.csv", lambda b: b"\n".join(
        x for x in b.split(b"\n") if not x.startswith(b"Ascend-910,price_usd"))), "base",
     ["chips.csv", "row 3", "price_usd"]),
    # --- distributions that model.distributions.frozen cannot build (checks catch them first) ---
    ("uniform-zero-width", _replace("model_classes.csv", "uniform,0.3,,0.6",
                                    "uniform,0.5,,0.5"), "base",
     ["model_classes.csv", "row 1", "column 'high'", "needs high > low", "low < high"]),
    ("lognormal-low-zero", _replace("usage.csv", "*,prompt_tokens,0,tokens/question,,,,,",
                                    "*,prompt_tokens,0,tokens/question,lognormal,0,,1000,"),
     "base", ["usage.csv", "row 7", "column 'low'", "needs low > 0", "must be positive"]),
    ("pert-low-above-high", _replace("vendor_share.csv", "2023,NVIDIA,share,0.5,fraction,,,,",
                                     "2023,NVIDIA,share,0.5,fraction,pert,0.6,,0.4"),
     "base", ["vendor_share.csv", "row 3", "column 'high'", "needs high > low"]),
    ("triangular-mode-outside", _replace("usage.csv", "triangular,1.2,,1.6",
                                         "triangular,1.2,1.7,1.6"), "base",
     ["usage.csv", "row 6", "mode is above high", "within [low, high]"]),
    ("set-zero-width-range", _replace("scenarios/roofline.yaml", "low: 1e7, high: 3e7",
                                      "low: 2e7, high: 2e7"), "roofline",
     ["scenarios/roofline.yaml", "row 2", "column 'high'", "low < high"]),
    # --- the whole market's tables: chips' export control, shares of cards, SKU mix ---
    ("unknown-export-control", _replace("chips.csv", "2019-08-23,none", "2019-08-23,domestic"),
     "base", ["chips.csv", "row 3", "column 'export_control'", "domestic",
              "us (legal only in the export regimes listing the chip) or none"]),
    ("share-unknown-vendor", _replace("vendor_share.csv", "2023,Huawei", "2023,AMD"), "base",
     ["vendor_share.csv", "row 4", "column 'vendor'", "values: AMD",
      "use a vendor of chips.csv (case-sensitive): Huawei, NVIDIA"]),
    ("regime-domestic-chip", _append("export_regimes.csv", "rule-2022,2022-10-07,,Ascend-910,"
                                                           "test\n"), "base",
     ["export_regimes.csv", "row 3", "column 'sku'", "values: Ascend-910",
      "not an export-controlled chip", "domestic chips are always legal"]),
    ("regimes-overlap", _replace("export_regimes.csv", "2019-01-01,2022-10-07,A100",
                                 "2019-01-01,2023-01-01,A100"), "base",
     ["export_regimes.csv", "row 1", "column 'end_date'", "overlaps the next one",
      "values: 2023-01-01", "end a regime on or before the next regime's start_date"]),
    ("regime-open-before-another", _replace("export_regimes.csv", "2019-01-01,2022-10-07,A100",
                                            "2019-01-01,,A100"), "base",
     ["export_regimes.csv", "row 1", "column 'open_before'", "values: rule-2022",
      "give the earlier regime an end_date"]),
    ("mix-sum-not-one", _replace("sku_mix.csv", "2022,A800-80GB-SXM,share,0.2,",
                                 "2022,A800-80GB-SXM,share,0.3,"), "base",
     ["sku_mix.csv", "row 1", "column 'total_mix'", "does not sum to 1", "values: 1.1",
      "give every SKU the vendor ships that year a share, summing to 1"]),
    ("mix-unknown-sku", _replace("sku_mix.csv", "2023,A800-80GB-SXM,", "2023,A800-80GB,"),
     "base", ["sku_mix.csv", "row 4", "column 'sku'", "values: A800-80GB",
              "add the chip to chips.csv or fix the sku"]),
    ("mix-as-percentages", _bytes("sku_mix.csv", lambda b: b.replace(
        b"2022,A100-80GB-SXM,share,0.8,", b"2022,A100-80GB-SXM,share,80,").replace(
        b"2022,A800-80GB-SXM,share,0.2,", b"2022,A800-80GB-SXM,share,20,")), "base",
     ["sku_mix.csv", "row 1", "row 2", "column 'value'", "divide by 100"]),
    ("share-without-mix", _replace("sku_mix.csv", "2023,A800-80GB-SXM,share,1,fraction,,,,,test,"
                                   "\n", ""), "base",
     ["vendor_share.csv", "row 3", "sku_mix.csv"]),
    # --- segments and their drivers ---
    ("segment-unknown-driver", _append("segments.csv", "gov,Government,linear,test,test\n"),
     "base", ["segments.csv", "row 1", "column 'driver'", "values: linear",
              "use llm_ratio, logistic, installed_growth"]),
    ("segment-missing-metric", _all(_LOGISTIC_SEGMENT,
                                    _append("segment_drivers.csv", _LOGISTIC_DRIVERS)), "base",
     ["segments.csv", "row 1", "column 'missing'", "lacks a number its driver reads",
      "values: gov/training_share", "add the segment_drivers.csv row"]),
    ("segment-unknown-segment", _all(_LOGISTIC_SEGMENT, _append(
        "segment_drivers.csv", _LOGISTIC_DRIVERS + "govt,training_share,0.2,fraction,,,,,test,"
                                                   "\n")), "base",
     ["segment_drivers.csv", "row 4", "column 'segment'", "values: govt",
      "add the segment to segments.csv or fix the id"]),
    ("segment-is-a-firm", _append("segments.csv", "a,Firm A again,llm_ratio,test,test\n"),
     "base", ["segments.csv", "row 1", "column 'is_a_firm'", "a segment has a firm's id",
              "rename the segment"]),
    ("segment-unread-metric", _all(
        _append("segments.csv", "gov,Government,llm_ratio,test,test\n"),
        _append("segment_drivers.csv", "gov,llm_ratio,0.5,x,,,,,test,\n"
                                       "gov,growth_rate,0.5,1/year,,,,,test,\n")), "base",
     ["segment_drivers.csv", "row 2", "column 'metric'", "growth_rate", "llm_ratio"]),
    # --- cards shipped before the grid ---
    ("installed-unknown-sku", _all(_OWNER, _append(
        "installed_base.csv", "2021,A100-40GB,units_shipped,1000,units,,,,,test,\n")), "base",
     ["installed_base.csv", "row 1", "column 'sku'", "values: A100-40GB",
      "add the chip to chips.csv or fix the sku"]),
    ("installed-year-in-grid", _all(_OWNER, _append(
        "installed_base.csv", "2022,A100-80GB-SXM,units_shipped,1000,units,,,,,test,\n")),
     "base", ["installed_base.csv", "row 1", "column 'year'", "not before the grid's start "
              "(2022)", "list cards shipped before settings.start only"]),
    ("installed-without-owner", _append(
        "installed_base.csv", "2021,A100-80GB-SXM,units_shipped,1000,units,,,,,test,\n"), "base",
     ["segments.csv", "column 'owners'", "needs exactly one owner",
      "give one segment the driver installed_growth"]),
    # --- reported figures (actuals.csv) ---
    ("actual-low-above-value", _replace("actuals.csv", "10000,5000,20000", "10000,12000,20000"),
     "base", ["actuals.csv", "row 1", "column 'low'", "value is below low",
              "low <= value <= high"]),
    ("actual-unknown-quantity", _replace("actuals.csv", "cards-2023,units_shipped",
                                         "cards-2023,cards_shipped"), "base",
     ["actuals.csv", "row 1", "column 'quantity'", "values: cards_shipped",
      "use one of units_shipped, units_installed"]),
    ("actual-wrong-unit", _replace("actuals.csv", "0.6,fraction", "0.6,percent"), "base",
     ["actuals.csv", "row 2", "column 'unit'", "values: percent",
      "card_share is measured in fraction"]),
    ("actual-end-before-start", _replace("actuals.csv", "2023-01,2023-12,10000",
                                         "2023-12,2023-01,10000"), "base",
     ["actuals.csv", "row 1", "column 'end/start'", "end is before start",
      "a window runs start..end"]),
    ("actual-bad-month", _replace("actuals.csv", "2023-01,2023-12,10000",
                                  "2023-13,2023-12,10000"), "base",
     ["actuals.csv", "row 1", "column 'start'", "not a month", "write YYYY-MM"]),
    ("actual-date-for-month", _replace("actuals.csv", "2023-01,2023-12,10000",
                                       "2023-01,2023-12-31,10000"), "base",
     ["actuals.csv", "row 1", "column 'end'", "a date, not a month", "write the month only, "
      "2023-12"]),
    ("actual-unknown-vendor", _replace("actuals.csv", "card_share,NVIDIA,", "card_share,Nvidia,"),
     "base", ["actuals.csv", "row 2", "column 'vendor'", "values: Nvidia",
              "use a vendor of chips.csv or leave it empty for all"]),
    ("actual-unknown-family", _replace("actuals.csv", "units_shipped,,,,,",
                                       "units_shipped,,H100,,,"), "base",
     ["actuals.csv", "row 1", "column 'family'", "values: H100",
      "use a family of chips.csv or leave it empty for all"]),
    ("actual-unknown-sku", _replace("actuals.csv", "units_shipped,,,,,",
                                    "units_shipped,,,A100-40GB,,"), "base",
     ["actuals.csv", "row 1", "column 'sku'", "values: A100-40GB",
      "use a sku of chips.csv or leave it empty for all"]),
    ("actual-unknown-buyer", _replace("actuals.csv", "units_shipped,,,,,",
                                      "units_shipped,,,,c,"), "base",
     ["actuals.csv", "row 1", "column 'firm'", "values: c",
      "use a firm of firms.csv or a segment of segments.csv"]),
    ("actual-published-before-period-ends", _replace("actuals.csv", "20000,units,test,2024-03-01",
                                                     "20000,units,test,2023-06-01"), "base",
     ["actuals.csv", "row 1", "column 'published'", "2023-06-01"]),
    ("actual-not-positive", _replace("actuals.csv", "10000,5000,20000", "0,,"), "base",
     ["actuals.csv", "row 1", "column 'value'", "0 < low <= value <= high"]),
    ("actual-share-as-percentage", _replace("actuals.csv", "0.5,0.4,0.6,fraction",
                                            "50,40,60,fraction"), "base",
     ["actuals.csv", "row 2", "column 'value'", "divide by 100"]),
    ("actual-tokens-of-a-chip", _append("actuals.csv", _TOKENS_ROW.format(chip="NVIDIA")),
     "base", ["actuals.csv", "row 3", "tokens have no chip"]),
    ("actual-outside-the-grid", _replace("actuals.csv", "2023-01,2023-12,10000",
                                         "2021-01,2021-12,10000"), "base",
     ["actuals.csv", "row 1", "not inside the forecast grid"]),
    # --- model generations after the last listed release ---
    ("release-path-unknown-firm", _append("release_path.csv",
                                          "c,release_interval_months,12,months,,,,,test,\n"),
     "base", ["release_path.csv", "row 1", "column 'firm'", "values: c",
              "add the firm to firms.csv, fix the id, or use '*' for all"]),
    ("release-path-unit", _append("release_path.csv",
                                  "*,release_interval_months,1,years,,,,,test,\n"), "base",
     ["release_path.csv", "row 1", "column 'unit'", "values: years",
      "release_interval_months is measured in months"]),
    # --- issue 12: group rules that change the answer ---
    ("shares-sum-0.40-by-set", _append("scenarios/from-2023.yaml", "  - {table: vendor_share, "
                                       "year: 2022, vendor: NVIDIA, metric: share, value: 0.2}\n"),
     "from-2023", ["scenarios/from-2023.yaml", "row 2", "column 'total_share'",
                   "do not sum to 1", "values: 0.4"]),
    ("mix-sum-0.25", _replace("sku_mix.csv", "2022,A100-80GB-SXM,share,0.8,",
                              "2022,A100-80GB-SXM,share,0.05,"), "base",
     ["sku_mix.csv", "row 1", "column 'total_mix'", "values: 0.25"]),
    ("regime-inside-another", _append("export_regimes.csv",
                                      "later,2020-01-01,2021-01-01,A800-80GB-SXM,test\n"), "base",
     ["export_regimes.csv", "row 1", "column 'end_date'", "overlaps the next one"]),
    ("formula-unknown-name", _replace("compute_formulas.csv", "training_flops,",
                                      "trainig_flops,"), "base",
     ["compute_formulas.csv", "row 1", "column 'name'", "values: trainig_flops",
      "not a formula the model reads", "did you mean training_flops?"]),
    ("formula-times-zero", _replace("compute_formulas.csv", "2 * active_params",
                                    "0 * active_params"), "base",
     ["compute_formulas.csv", "row 2", "column 'expression'", "implausible",
      "gives 0 FLOPs/token", "3.5e+11", "within 0.1x-10x"]),
    ("formula-thousandfold", _replace("compute_formulas.csv", "6 * active_params",
                                      "6000 * active_params"), "base",
     ["compute_formulas.csv", "row 1", "column 'expression'", "implausible", "3.15e+23"]),
    ("formula-divide-by-zero", _replace("compute_formulas.csv", "2 * active_params",
                                        "2 * active_params / 0"), "base",
     ["compute_formulas.csv", "row 2", "column 'expression'", "cannot be evaluated",
      "divide by zero"]),
    ("formula-divides-by-users", _replace("compute_formulas.csv", "2 * active_params",
                                          "2 * active_params * 5e7 / dau"), "base",
     ["compute_formulas.csv", "row 2", "column 'expression'", "in the inputs' ranges",
      "divide by zero", "dau = 0"]),
    ("formula-negative-somewhere", _replace("compute_formulas.csv", "2 * active_params",
                                            "2 * active_params - 1e11"), "base",
     ["compute_formulas.csv", "row 2", "gives -9.9998e+10 at active_params = 1e+06"]),
    ("formula-power-tower", _replace("compute_formulas.csv", "2 * active_params",
                                     "2 * active_params * 10**10**10"), "base",
     ["compute_formulas.csv", "row 2", "column 'expression'", "does not parse",
      "an exponent must be a number between -10 and 10"]),
    ("formula-overflow", _replace("compute_formulas.csv", "2 * active_params",
                                  "2 * active_params * 1e300 * 1e300"), "base",
     ["compute_formulas.csv", "row 2", "cannot be evaluated"]),
    ("cyrillic-firm-id", _replace("model_releases.csv", "\nb,b-1", f"\n{_CYRILLIC_A},b-1"),
     "base", ["model_releases.csv", "row 2", "column 'firm'", "not plain ASCII",
              "U+0430 CYRILLIC SMALL LETTER A"]),
    ("cyrillic-firm-everywhere", _all(
        _append("firms.csv", f"b{_CYRILLIC_A}idu,Baidu,,search,test,test\n"),
        _append("model_releases.csv", f"b{_CYRILLIC_A}idu,ernie,c1,2022-07-01,test\n")), "base",
     ["firms.csv", "row 3", "column 'firm'", "U+0430 CYRILLIC SMALL LETTER A",
      "model_releases.csv", "row 3"]),
    ("fullwidth-vendor", _replace("vendor_share.csv", "2023,Huawei",
                                  "2023,\uff28uawei"), "base",
     ["vendor_share.csv", "row 4", "column 'vendor'", "FULLWIDTH", "write it in plain ASCII: "
      "Huawei"]),
    ("no-break-space-in-sku", _replace("sku_mix.csv", "2023,A800-80GB-SXM,",
                                       "2023,A800-80GB\u00a0SXM,"), "base",
     ["sku_mix.csv", "row 4", "column 'sku'", "NO-BREAK SPACE", "A800-80GB SXM"]),
    ("cyrillic-id-in-set-item", _replace("scenarios/roofline.yaml", "firm: b,",
                                         f"firm: b{_CYRILLIC_A},"), "roofline",
     ["scenarios/roofline.yaml", "row 2", "column 'firm'", "U+0430"]),
    # --- issue 12: resource limits ---
    ("yaml-alias-bomb", _write("scenarios/bomb.yaml", _ALIAS_BOMB), "bomb",
     ["scenarios/bomb.yaml", "row 3", "aliases (*name) are not allowed",
      "write the values out"]),
    ("grid-end-9999", _replace("scenarios/roofline.yaml", "end: 2025-06", "end: 9999-12"),
     "roofline", ["scenarios/roofline.yaml", "column 'settings.end'",
                  "outside the supported span 2015-01..2050-12", "values: 9999-12"]),
    ("grid-start-1900", _replace("scenarios/from-2023.yaml", "2023-01", "1900-01"), "from-2023",
     ["scenarios/from-2023.yaml", "column 'settings.start'", "2015-01..2050-12"]),
    ("symlink-to-passwd", _symlink("firms.csv", "/etc/passwd"), "base",
     ["firms.csv", "resolves outside the data folder", "put a real copy of the file"]),
    ("symlink-to-dev-zero", _symlink("fleet.csv", "/dev/zero"), "base",
     ["fleet.csv", "resolves outside the data folder"]),
    ("symlink-up-and-out", _all(
        lambda d: (d.parent / "outside.csv").write_text("firm,name\nsecret-row,x\n"),
        _symlink("scenarios/roofline/firms.csv", "../../../outside.csv")), "roofline",
     ["scenarios/roofline/firms.csv", "resolves outside the data folder"]),
    ("fifo-in-place-of-file", _fifo("usage.csv"), "base",
     ["usage.csv", "a FIFO (named pipe), not a regular file", "ordinary file"]),
    ("fifo-scenario", lambda d: os.mkfifo(d / "scenarios" / "pipe.yaml"), "pipe",
     ["scenarios/pipe.yaml", "FIFO"]),
    ("folder-in-place-of-file", _folder("chips.csv"), "base",
     ["chips.csv", "a folder, not a file", "replace the folder by the file"]),
    ("file-over-size-cap", _oversize("chip_specs.csv", 51 * 1024 * 1024), "base",
     ["chip_specs.csv", "above the 50 MB cap"]),
    ("yaml-over-size-cap", _oversize("scenarios/from-2023.yaml", 2 * 1024 * 1024),
     "from-2023", ["scenarios/from-2023.yaml", "above the 1 MB cap"]),
    # --- issue 12: paths ---
    ("scenario-path", lambda d: None, "../../../outside/evil",
     ["a scenario is named by a plain name, not a path", "../../../outside/evil", "roofline"]),
    ("extends-path", _replace("scenarios/from-2023.yaml", "settings:",
                              "extends: ../../outside/evil\nsettings:"), "from-2023",
     ["scenarios/from-2023.yaml", "column 'extends'", "plain name, not a path"]),
    ("tables-absolute-path", _replace("scenarios/roofline.yaml", "firms: roofline/firms.csv",
                                      "firms: /etc/passwd"), "roofline",
     ["scenarios/roofline.yaml", "column 'tables.firms'", "outside data/scenarios/"]),
]

# Rules an analyst needs that `chipcast validate` does not enforce (yet): each case fails
# strictly until the suite checks it. Some are caught later, by the run's back-test
# (chipcast.uncertainty.backtest.targets), after the deterministic forecast.
UNENFORCED: dict[str, str] = {
    # Not enforced on purpose: some sourced figures are published before their window ends
    # (orders reported in advance, in-year estimates: data/actuals.csv ft-2023-a800); the
    # notes say so. A rule would need a column marking such figures.
    "actual-published-before-period-ends": "actuals: a figure published before its window "
    "ends (a forecast, not an actual) is not flagged, and calibration would fit it",
}


def _run_cases() -> set[str]:
    """The cases that also go through a real `chipcast run` (a Prefect pipeline, ~5 s each):
    the first case naming each file, every scenario-level case and every unenforced one. The
    others differ only in the rule that fails, and `run` refuses on the same input checks
    (flows.ingest) whose problems `validate` already showed."""
    chosen: dict[str, str] = {}
    for case_id, _corrupt, scenario, fragments in CASES:
        where = next((f for f in fragments if f.endswith((".csv", ".yaml"))), scenario)
        chosen.setdefault(where, case_id)
    return set(chosen.values()) | set(UNENFORCED) | USAGE_CASES | {
        # issue 12: inputs that once published a wrong forecast, hung or echoed a file (the
        # alias bomb, a FIFO scenario and a scenario path are chosen above by their file)
        "formula-times-zero", "cyrillic-firm-everywhere", "symlink-to-passwd",
        "fifo-in-place-of-file", "grid-end-9999"}


# `run` answers a scenario name it does not know as usage (exit 2), before starting.
USAGE_CASES = {"unknown-scenario", "scenario-path"}
RUN_CASES = _run_cases()
# Text that must never appear (a file's content echoed through a symlink).
ABSENT: dict[str, list[str]] = {"symlink-to-passwd": ["root:"],
                                "symlink-up-and-out": ["secret-row"]}


@pytest.fixture(scope="module")
def gx_warm() -> None:
    """Import GX and build its context once for the module (the first validation pays ~6 s)."""
    from chipcast.checks.engine import _batch_definition

    _batch_definition()


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, prefect_server: None) -> Path:
    """Outputs of a real, successful run of the valid fixture data (copied for each case)."""
    out = tmp_path_factory.mktemp("published")
    assert main(["run", "--data-dir", str(DATA), "--scenario", "base",
                 "--out-dir", str(out)]) == 0
    assert (out / "chipcast.duckdb").is_file()
    return out


def _params() -> list:
    marks = {name: pytest.mark.xfail(strict=True, reason=f"not enforced: {reason}")
             for name, reason in UNENFORCED.items()}
    return [pytest.param(c, id=c[0], marks=marks.get(c[0], ())) for c in CASES]


@pytest.mark.prefect
@pytest.mark.parametrize("case", _params())
def test_bad_input_rejected(case, tmp_path: Path, capsys, gx_warm, published: Path) -> None:
    _id, corrupt, scenario, fragments = case
    data = copy_data(tmp_path / "data")
    corrupt(data)
    code = main(["validate", "--data-dir", str(data), "--scenario", scenario,
                 "--out-dir", str(tmp_path / "validation")])
    out = capsys.readouterr()
    text = out.out + out.err
    assert code == 1, text
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    for fragment in ABSENT.get(_id, []):
        assert fragment not in text, text

    if _id not in RUN_CASES:  # `validate` and `run` share the input checks (flows.ingest)
        return
    forecasts = tmp_path / "forecasts"
    shutil.copytree(published, forecasts)
    code = assert_outputs_unchanged(forecasts, lambda: main(
        ["run", "--data-dir", str(data), "--scenario", scenario, "--out-dir", str(forecasts)]))
    out = capsys.readouterr()
    text = out.out + out.err
    if _id in USAGE_CASES:  # `run` answers a wrong name as usage, before starting
        assert code == 2, text
        assert scenario in text and "unknown scenario" in text
        return
    assert code == 1, text
    assert "nothing was published" in text
    for fragment in fragments:
        assert fragment in text, f"run: {fragment!r} not in:\n{text}"
    for fragment in ABSENT.get(_id, []):
        assert fragment not in text, text


def test_catalogue_is_large_and_distinct(tmp_path: Path) -> None:
    assert len(CASES) >= 90
    assert 15 <= len(RUN_CASES) < len(CASES)  # every file still goes through a real run
    assert len({c[0] for c in CASES}) == len(CASES)
    assert set(UNENFORCED) <= {c[0] for c in CASES}
    # distinct corruptions: no two cases leave the same files for the same scenario, and each
    # changes the valid base run (a file or the scenario)
    results = {("base", tuple(published_snapshot(DATA).items()))}
    for i, (_id, corrupt, scenario, _fragments) in enumerate(CASES):
        data = copy_data(tmp_path / str(i))
        corrupt(data)
        results.add((scenario, tuple(published_snapshot(data).items())))
    assert len(results) == len(CASES) + 1


def test_fixture_data_is_valid(tmp_path: Path, capsys, gx_warm) -> None:
    scenarios = available_scenarios(DATA)
    assert {"base", "from-2023", "roofline"} <= set(scenarios)  # the catalogue's chain
    for scenario in scenarios:
        code = main(["validate", "--data-dir", str(DATA), "--scenario", scenario,
                     "--out-dir", str(tmp_path)])
        assert code == 0, capsys.readouterr().err
        assert (tmp_path / f"inputs-{scenario}.json").is_file()


@pytest.mark.skipif(not (DATA_DIR / "chips.csv").is_file(), reason="data/ not written yet")
def test_shipped_data_validates(tmp_path: Path, capsys, gx_warm) -> None:
    for scenario in available_scenarios(DATA_DIR):
        code = main(["validate", "--scenario", scenario, "--out-dir", str(tmp_path)])
        assert code == 0, (scenario, capsys.readouterr().err)


def test_a_scenario_path_writes_nothing_outside_the_output_folder(tmp_path: Path,
                                                                  capsys) -> None:
    """`--scenario ../../outside/evil` once read outside/evil.yaml and wrote its GX JSON beside
    it: now refused as a name (exit 1) before anything is read or written."""
    data = copy_data(tmp_path / "project" / "data")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.yaml").write_text("name: evil\n", encoding="utf-8")
    out = tmp_path / "project" / "validation"
    before = published_snapshot(tmp_path)
    for scenario in ("../../outside/evil", str(outside / "evil"), "evil.yaml", ".."):
        code = main(["validate", "--data-dir", str(data), "--scenario", scenario,
                     "--out-dir", str(out)])
        text = capsys.readouterr().err
        assert code == 1, text
        assert "a scenario is named by a plain name, not a path" in text
    assert published_snapshot(tmp_path) == before
    assert not out.exists()
