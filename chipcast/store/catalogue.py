"""docs/marts.md: the BI views of the published warehouse, rendered from the one registry
(chipcast.contracts.marts), with what a BI tool needs to know to read the file safely.

`python -m chipcast.store.catalogue` rewrites docs/marts.md; a test checks it is up to date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from chipcast.contracts.marts import MARTS

# The repository's docs folder (this module is run from a checkout: `python -m ...`).
DOC = Path(__file__).resolve().parents[2] / "docs" / "marts.md"

READING = """\
## Reading the published file from a BI tool

- **File**: `forecasts/chipcast.duckdb`, written in DuckDB's v1.4 storage format so DuckDB 1.4,
  1.5 and 2.x can all open it. Open it **read-only** (`duckdb.connect(path, read_only=True)`,
  or `ATTACH 'forecasts/chipcast.duckdb' (READ_ONLY)`): a run never writes the published file in
  place, so readers are never blocked.
- **Publication replaces the file** atomically (`os.replace` of a finished copy). A connection
  opened before a publish keeps reading the *old* file until it is closed: reconnect when the
  file's identity changes (its inode or modification time, `os.stat(path)`), or open one
  connection per refresh. `chipcast dashboard` does this.
- **Vintage**: each view shows, per scenario, one run: the latest published run that has rows in
  the tables the view needs (`mart_vintages` lists the run of every view and scenario). Every
  row carries its `run_id`. After a `--draws 0` run, `mart_forecast` shows that run (bands
  null), while `mart_bands` and `mart_sensitivity` keep the latest run that had draws.
- **Point forecast**: `point` is the Monte Carlo median (P50) when the run drew the series, else
  the deterministic value (`point_basis` says which); `deterministic` is always the forecast with
  every input at its point value.
- **Ties**: a peak's month is the earliest month within 1e-9 (relative) of the maximum.
- **Files instead of SQL**: `forecasts/exports/latest/` is a symlink to the newest published
  Parquet set (`exports/<run_id>/`), swapped atomically; its `manifest.json` lists each file's
  rows and sha256 and the run id.
- **Check results**: `mart_validation`, and the Great Expectations Data Docs of each run in
  `forecasts/validation/<run_id>/index.html` (offline HTML).
- Comments: every view and column below carries the same text as a DuckDB comment
  (`SELECT * FROM duckdb_columns() WHERE table_name = 'mart_forecast'`).
"""


def marts_markdown() -> str:
    """The text of docs/marts.md (one section per view: comment, then a column table)."""
    lines = ["# BI views of `forecasts/chipcast.duckdb`", "",
             "Generated from `chipcast/contracts/marts.py` by "
             "`python -m chipcast.store.catalogue`: do not edit by hand.", "", READING]
    for spec in MARTS.values():
        lines += [f"## `{spec.name}`", "", spec.comment, "",
                  "| column | meaning | unit |", "| --- | --- | --- |"]
        for col in spec.columns:
            meaning = col.meaning.replace("|", "\\|")
            lines.append(f"| `{col.name}` | {meaning} | {col.unit} |")
        lines.append("")
    return "\n".join(lines)


def main() -> int:  # pragma: no cover - a developer's command
    DOC.write_text(marts_markdown(), encoding="utf-8")
    print(f"wrote {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = ["DOC", "marts_markdown"]
