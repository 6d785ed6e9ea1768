"""Cached re-runs: the costly, deterministic steps of a scenario (input checks, Monte Carlo,
sensitivity) are Prefect tasks cached on what their result depends on, so a re-run with
unchanged inputs loads them instead of computing them and still publishes a new vintage.

Cache key = step name + the scenario's input fingerprint (sha256 over the files read, from
chipcast.inputs.scenarios.fingerprint) + the step's settings (draws, seed, sampler, n) + the
code version (sha256 over chipcast's and the flows' source files, so any code change misses).
Results are persisted, pickled, in the project's `<out_dir>/.cache/` (Prefect result records:
one file per key; polars frames inside them compressed, flows/compactpickle.py); deleting that
folder empties the cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from prefect.cache_policies import NO_CACHE, CacheKeyFnPolicy
from prefect.filesystems import LocalFileSystem
from prefect.results import ResultStore
from prefect.serializers import PickleSerializer
from prefect.tasks import Task

import chipcast
import flows

CACHE_DIR = ".cache"
PICKLE_LIB = "flows.compactpickle"


def serializer() -> PickleSerializer:
    """The serializer of cached results (flows/compactpickle.py)."""
    return PickleSerializer(picklelib=PICKLE_LIB)


@cache
def code_version() -> str:
    """sha256 over chipcast's and the flows' Python sources and SQL (path + bytes, sorted):
    equal values mean the same code computed a cached result."""
    digest = hashlib.sha256(chipcast.__version__.encode())
    for package in (chipcast, flows):
        root = Path(package.__file__).parent
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_key(step: str, scenario: str, input_fingerprint: str, **settings: Any) -> str:
    """The key of one cached step (file-name safe)."""
    parts = [step, scenario, input_fingerprint, code_version(),
             *(f"{k}={settings[k]}" for k in sorted(settings))]
    return f"{step}-{hashlib.sha256('|'.join(parts).encode()).hexdigest()[:32]}"


def key_fn(step: str, *settings: str) -> Callable[[Any, dict[str, Any]], str]:
    """A Prefect cache_key_fn for a task taking `scenario`, `input_fingerprint` and the named
    settings (its other parameters, e.g. the Inputs themselves, are not hashed: the
    fingerprint stands for them)."""

    def fn(context: Any, parameters: dict[str, Any]) -> str:
        return cache_key(step, parameters["scenario"], parameters["input_fingerprint"],
                         **{name: parameters[name] for name in settings})

    return fn


def run_key(config_json: str, fingerprints: dict[str, str]) -> str:
    """What a whole run's published results depend on: its settings (RunConfig.to_json), every
    scenario's input fingerprint and the code version. A run whose key equals the latest
    published run's would publish the same numbers again (flows/pipeline.py skips it)."""
    parts = [config_json, code_version(), *(f"{s}={fingerprints[s]}" for s in sorted(
        fingerprints))]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def cache_dir(out_dir: str | Path) -> Path:
    """Where the project's cached results live."""
    return Path(out_dir) / CACHE_DIR


def cached(task: Task[Any, Any], folder: str | Path | None,
           key: Callable[[Any, dict[str, Any]], str]) -> Task[Any, Any]:
    """The task cached under `key` (a key_fn) with its results persisted in `folder` (None:
    caching off, the task always runs)."""
    if folder is None:
        return task.with_options(cache_policy=NO_CACHE, persist_result=False)
    Path(folder).mkdir(parents=True, exist_ok=True)
    return task.with_options(cache_policy=CacheKeyFnPolicy(cache_key_fn=key),
                             result_storage=Path(folder), persist_result=True,
                             result_serializer=serializer())


def store(folder: str | Path) -> ResultStore:
    """The result store of a cache folder (the one `cached` tasks read and write)."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    return ResultStore(result_storage=LocalFileSystem(basepath=str(folder)),
                       serializer=serializer())


def is_cached(folder: str | Path | None, key: str) -> bool:
    """Whether the cache folder holds a result under key."""
    return folder is not None and store(folder).exists(key)


def put(folder: str | Path, key: str, value: Any) -> None:
    """Persist a result computed elsewhere (e.g. on Dask workers) under key, so the cached
    task of the same key loads it instead of computing it."""
    store(folder).write(value, key=key)


def get(folder: str | Path, key: str) -> Any:
    """The result persisted under key (is_cached says whether there is one)."""
    return store(folder).read(key).result
