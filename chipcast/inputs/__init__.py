"""Read data/ into typed polars frames and resolve a scenario (docs/architecture.md, Inputs).

Every frame carries two bookkeeping columns so a later check can point at the user's file:
`_file` (path relative to data_dir, e.g. `chips.csv` or `scenarios/seed-2023.yaml`) and `_row`
(1-based data row in that file, the header being row 0; for a scenario `set:` item, its 1-based
position in the `set:` list). The model ignores them.
"""

from chipcast.inputs.cells import CellError, parse_date, parse_integer, parse_number
from chipcast.inputs.csvfile import read_table, read_table_text
from chipcast.inputs.scenarios import available_scenarios, load_inputs, resolve_sku
from chipcast.inputs.types import InputFile, Inputs, ScenarioSettings

__all__ = [
    "CellError", "InputFile", "Inputs", "ScenarioSettings", "available_scenarios",
    "load_inputs", "parse_date", "parse_integer", "parse_number", "read_table",
    "read_table_text", "resolve_sku",
]
