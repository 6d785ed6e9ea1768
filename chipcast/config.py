"""Run configuration: one frozen record of what a `chipcast run` does, built from CLI arguments,
then `CHIPCAST_*` environment variables, then the project's chipcast.toml, then defaults (first
one set wins)."""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from chipcast.contracts import SAMPLERS
from chipcast.errors import UsageError
from chipcast.project import (  # noqa: F401 - the run defaults, re-exported
    DEFAULT_DRAWS,
    DEFAULT_SEED,
    DEFAULT_SENSITIVITY_N,
    SHIPPED_DATA,
    Project,
)

# given: indices from the Monte Carlo's own draws (no extra model runs) and the tornado;
# full: also Saltelli-Sobol with total indices (n x (inputs + 2) model runs); off: none
SENSITIVITY_MODES = ("given", "full", "off")
DASK_ADDRESS = re.compile(r"^(tcp|tls|ws|wss|ucx)://[^\s/]+$")


def check_dask(dask: str | None) -> None:
    """UsageError unless `dask` (where the Monte Carlo runs) is None, 'local' or a Dask
    scheduler address."""
    if dask is not None and dask != "local" and not DASK_ADDRESS.match(dask):
        raise UsageError(f"--dask must be 'local' or a scheduler address like "
                         f"tcp://host:8786, got {dask!r}")


@dataclass(frozen=True)
class RunConfig:
    """What one pipeline run computes and where it reads and writes.

    `draws` is the number of Monte Carlo draws per scenario; 0 means deterministic only (no
    `forecast_quantiles` or `sensitivity` rows). `sensitivity` is given (default), full or off
    (SENSITIVITY_MODES); `sensitivity_n` the Sobol base sample of `full`. `calibrate` (None:
    each scenario's own setting) conditions the Monte Carlo on the actuals published up to
    `fit_until` (a month; None: each scenario's setting, else all). Built from the command
    line, `scenarios` defaults to every scenario shipped in data_dir.
    """

    scenarios: tuple[str, ...] = ("base",)
    data_dir: Path = SHIPPED_DATA
    out_dir: Path = Path("forecasts")
    draws: int = DEFAULT_DRAWS
    seed: int = DEFAULT_SEED
    sampler: str = "sobol"
    sensitivity_n: int = DEFAULT_SENSITIVITY_N
    sensitivity: str = "given"
    calibrate: bool | None = None
    fit_until: date | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Normalise so that equal configs compare equal whatever types the caller passed.
        object.__setattr__(self, "scenarios", tuple(self.scenarios))
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        object.__setattr__(self, "out_dir", Path(self.out_dir))
        if not self.scenarios:
            raise UsageError("at least one scenario is needed")
        if len(set(self.scenarios)) != len(self.scenarios):
            raise UsageError(f"a scenario is listed twice: {list(self.scenarios)}")
        if self.draws < 0:
            raise UsageError(f"--draws must be >= 0, got {self.draws}")
        if self.sensitivity_n < 0 or (self.sensitivity_n & (self.sensitivity_n - 1)):
            raise UsageError(
                f"--sensitivity-n must be 0 or a power of 2, got {self.sensitivity_n}")
        if self.sensitivity not in SENSITIVITY_MODES:
            raise UsageError(f"--sensitivity must be one of {', '.join(SENSITIVITY_MODES)}, "
                             f"got {self.sensitivity}")
        if self.sampler not in SAMPLERS:
            raise UsageError(f"--sampler must be one of {', '.join(SAMPLERS)}, got {self.sampler}")

    def to_json(self) -> str:
        """The config as a JSON object (paths as strings), stored with each run."""
        data = asdict(self)
        data["scenarios"] = list(self.scenarios)
        data["data_dir"] = str(self.data_dir)
        data["out_dir"] = str(self.out_dir)
        data["extra"] = dict(self.extra)
        data["fit_until"] = self.fit_until.isoformat()[:7] if self.fit_until else None
        return json.dumps(data, sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> RunConfig:
        """The config `to_json` wrote."""
        return cls(**json.loads(text))

    @classmethod
    def from_sources(
        cls, args: argparse.Namespace | None = None, env: Mapping[str, str] | None = None,
        shipped: Callable[[Path], list[str]] | None = None, project: Project | None = None,
    ) -> RunConfig:
        """Build from parsed CLI args (attributes may be missing or None), then `CHIPCAST_*`
        variables (`CHIPCAST_SCENARIOS` comma-separated, `CHIPCAST_DATA_DIR`,
        `CHIPCAST_OUT_DIR`, `CHIPCAST_DRAWS`, `CHIPCAST_SEED`, `CHIPCAST_SAMPLER`,
        `CHIPCAST_SENSITIVITY_N`), then the project's folders and [run] table. With no
        scenario given, every scenario `shipped(data_dir)` lists (base first), else base."""
        env = os.environ if env is None else env
        settings: dict[str, Any] = dict(project.run) if project is not None else {}
        if project is not None:
            settings.update(data_dir=project.data_dir, out_dir=project.out_dir)
        if not settings.get("scenarios"):  # an empty list in chipcast.toml means "all"
            settings.pop("scenarios", None)

        def pick(attr: str, var: str) -> Any:
            value = getattr(args, attr, None) if args is not None else None
            if value is not None:
                return value
            raw = env.get(f"CHIPCAST_{var}")
            return raw if raw not in (None, "") else settings.get(attr)

        kwargs: dict[str, Any] = {}
        scenarios = pick("scenarios", "SCENARIOS")
        if isinstance(scenarios, str):
            scenarios = [s.strip() for s in scenarios.split(",") if s.strip()]
        if scenarios:
            kwargs["scenarios"] = tuple(scenarios)
        for attr, var in (("data_dir", "DATA_DIR"), ("out_dir", "OUT_DIR")):
            value = pick(attr, var)
            if value is not None:
                kwargs[attr] = Path(value)
        for attr, var in (("draws", "DRAWS"), ("seed", "SEED"),
                          ("sensitivity_n", "SENSITIVITY_N")):
            value = pick(attr, var)
            if value is not None:
                try:
                    kwargs[attr] = int(value)
                except ValueError as exc:
                    raise UsageError(f"CHIPCAST_{var} must be an integer, got {value!r}") from exc
        sampler = pick("sampler", "SAMPLER")
        if sampler is not None:
            kwargs["sampler"] = str(sampler)
        if "scenarios" in kwargs and shipped is not None:
            # A wrong name is a usage error, found before anything starts.
            data_dir = kwargs.get("data_dir", SHIPPED_DATA)
            known = shipped(data_dir)
            unknown = [s for s in kwargs["scenarios"] if s not in known]
            if unknown:
                raise UsageError(
                    f"unknown scenario {unknown[0]!r} in {data_dir}: the scenarios are "
                    f"{', '.join(known)} (a scenario is a file scenarios/<name>.yaml there)")
        if "scenarios" not in kwargs and shipped is not None:
            names = shipped(kwargs.get("data_dir", SHIPPED_DATA))
            # base first: it is the view most people open
            kwargs["scenarios"] = tuple(sorted(names, key=lambda s: (s != "base", s))) or (
                "base",)
        return cls(**kwargs)
