"""Where the project's folders are (the repository root holds data/, sql/ and forecasts/)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "data"
SQL_DIR = ROOT / "sql"
FORECASTS_DIR = ROOT / "forecasts"
