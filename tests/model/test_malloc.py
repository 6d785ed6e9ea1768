"""glibc's malloc tuned at import (chipcast/model/__init__.py): a freed large array's memory is
reused by the next one instead of being mapped afresh (page faults), and a user's own MALLOC_*
settings are left alone. Run in child processes: the tuning is process-wide."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")

# Allocates, writes and frees a 10 MB array, then counts the page faults (the kernel's
# minor-fault counter, independent of the code under test) of writing a second one.
_CHILD = """
import resource, sys
import numpy as np
from numpy._core.multiarray import _set_madvise_hugepage
_set_madvise_hugepage(False)  # 4 KiB pages where the kernel allows: faults count pages
if sys.argv[1] == "chipcast":
    import chipcast.model as model
    print(model.MALLOC_TUNED)
else:
    print("untouched")
a = np.empty(10 * 2**20 // 8); a.fill(1.0); del a
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
b = np.empty(10 * 2**20 // 8); b.fill(1.0)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _child(mode: str, **env: str) -> tuple[str, int]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    out = subprocess.run([sys.executable, "-c", _CHILD, mode], env={**clean, **env},
                         capture_output=True, text=True, check=True).stdout.split()
    return out[0], int(out[1])


def test_freed_array_memory_is_reused_without_page_faults() -> None:
    # 10 MB is 2,560 pages of 4 KiB (fewer where the kernel maps huge pages anyway): glibc's
    # default unmaps the freed array and the second one faults its pages in again
    untouched, faults_default = _child("plain")
    tuned, faults_tuned = _child("chipcast")
    assert untouched == "untouched" and tuned == "True"
    assert faults_default > 0 and faults_tuned * 4 < faults_default


def test_users_malloc_settings_are_kept() -> None:
    tuned, faults = _child("chipcast", MALLOC_TRIM_THRESHOLD_="0", MALLOC_MMAP_THRESHOLD_="0")
    assert tuned == "False"
    untouched, faults_default = _child("plain", MALLOC_TRIM_THRESHOLD_="0",
                                       MALLOC_MMAP_THRESHOLD_="0")
    # the user's thresholds (map everything, trim at once) still apply: as many faults as
    # without chipcast, not the tuned few
    assert faults * 2 > faults_default > 0
