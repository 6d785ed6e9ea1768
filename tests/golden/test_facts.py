"""tests/golden/FACTS.md holds every figure the golden tests use: each figure seed_facts reads
from it is pinned here to the text FACTS.md writes and to its value, the golden tests import no
other figure from seed_facts, and the copied arithmetic is checked by hand."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import seed_facts
from seed_facts import FACTS_MD, HOW, lines

GOLDEN = Path(__file__).resolve().parent
ROOT = GOLDEN.parents[1]

# constant -> (FACTS.md line, the figure as written there, its value)
PINNED: dict[str, tuple[str, str, float]] = {
    "S1_TRAINING_FLOPS_PER_PARAM_TOKEN": ("S1", "6·N FLOPs", 6),
    "S2_INFERENCE_FLOPS_PER_PARAM_TOKEN": ("S2", "2·N FLOPs", 2),
    "S3_PARAMS": ("S3", "N = 175e9 parameters", 175e9),
    "S3_TRAINING_TOKENS": ("S3", "D = 300e9 training tokens", 300e9),
    "S4_MFU": ("S4", "46.2 %", 0.462),
    "S6_PEAK_TFLOPS": ("S6", "peak 312 TFLOPS", 312),
    "S7_TRAINING_CHIPS": ("S7", "**843 A100**", 843),
    "S8_SERVING_UTILIZATION": ("S8", "21.3 %", 0.213),
    "S9_DAILY_USERS": ("S9", "50 million daily active users", 50e6),
    "S9_QUESTIONS": ("S9", "x 10 questions", 10),
    "S9_WORDS": ("S9", "x 400 words per answer", 400),
    "S10_SERVING_CHIPS": ("S10", "**16,255 A100**", 16_255),
    "S11_COMPUTE_MULTIPLIER": ("S11", ">10x the compute demand", 10),
    "S12_FIRMS": ("S12", "top-10 Chinese firms", 10),
    "S12_CLAIM_A100": ("S12", "**more than 2 million**", 2e6),
    "HOW_TRAINING_DAYS": (HOW, "for 30 days of", 30),
    "HOW_SECONDS_PER_DAY": (HOW, "86,400 s delivers", 86_400),
    "HOW_TRAINING_FLOPS": (HOW, "= 3.15e23 FLOPs.", 3.15e23),
    "HOW_TRAINING_CHIPS": (HOW, "= **843.1**", 843.1),
    "HOW_TOKENS_PER_WORD": (HOW, "**4/3 tokens per word**", 4 / 3),
    "HOW_ONE_TOKEN_A_WORD_CHIPS": (HOW, "the result would be 12,191", 12_191),
    "HOW_SERVING_FLOPS_PER_DAY": (HOW, "= 9.33e22 FLOPs a day", 9.33e22),
    "HOW_SERVING_CHIPS": (HOW, "= **16,255.1**", 16_255.1),
    "HOW_TEN_FIRMS_A100": (HOW, "= **1.71 million**", 1.71e6),
}


def _imported_figures(path: Path) -> set[str]:
    """Names a test module imports from seed_facts (`from seed_facts import ...`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {alias.name for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "seed_facts"
            for alias in node.names}


def test_facts_md_is_in_the_repository_with_s1_to_s13_and_the_reproduction() -> None:
    assert FACTS_MD.is_file() and FACTS_MD.is_relative_to(ROOT)
    found = lines()
    assert [k for k in found if k != HOW] == [f"S{n}" for n in range(1, 14)]
    assert found[HOW].startswith("- Training: 6 x 175e9 x 300e9 = 3.15e23 FLOPs.")
    assert "short of 2 million" in found[HOW]


@pytest.mark.parametrize("name", sorted(PINNED))
def test_each_figure_is_written_in_its_facts_md_line(name: str) -> None:
    line, written, value = PINNED[name]
    assert written in lines()[line], f"FACTS.md {line} does not say {written!r}"
    assert getattr(seed_facts, name) == value


def test_golden_tests_use_only_pinned_figures() -> None:
    defined = {n for n in vars(seed_facts) if n.startswith(("S", "HOW_")) and n.isupper()}
    assert defined == set(PINNED)
    used: set[str] = set()
    for path in sorted(GOLDEN.glob("test_*.py")):
        if path.name != Path(__file__).name:
            used |= _imported_figures(path)
    assert used, "the golden tests read their figures from seed_facts"
    assert used <= set(PINNED)


def test_the_copied_arithmetic_holds() -> None:
    """FACTS.md "How the two headline numbers reproduce", recomputed from its own inputs."""
    n, d, peak = 175e9, 300e9, 312e12
    assert 6 * n * d == pytest.approx(3.15e23)
    per_a100 = peak * 0.462 * 30 * 86_400
    assert per_a100 == pytest.approx(3.736e20, rel=1e-3)
    assert 6 * n * d / per_a100 == pytest.approx(843.1, abs=0.05)
    words = 50e6 * 10 * 400
    assert words == 2e11
    assert words * 4 / 3 == pytest.approx(2.667e11, rel=1e-3)
    flops = words * 4 / 3 * 2 * n
    assert flops == pytest.approx(9.33e22, rel=1e-3)
    per_day = peak * 0.213 * 86_400
    assert per_day == pytest.approx(5.742e18, rel=1e-3)
    assert flops / per_day == pytest.approx(16_255.1, abs=0.05)
    assert words * 2 * n / per_day == pytest.approx(12_191, abs=0.5)
    assert 10 * 10 * (843 + 16_255) == pytest.approx(1.71e6, abs=0.005e6)


def test_every_file_a_test_cites_is_in_the_repository() -> None:
    """Paths that test files name (tests/..., docs/..., data/...) exist in the repository, and no
    test names a file of the machine outside it (as the golden tests once did with FACTS.md)."""
    cited = re.compile(r"\b((?:tests|docs|data|sql|chipcast|flows|bench)/[\w./-]+\.(?:py|md|csv"
                       r"|yaml|sql|j2))\b")
    markers = ["/" + folder + "/" for folder in ("work", "shared")]  # not literal: this file
    missing, outside = [], []
    for path in sorted((ROOT / "tests").rglob("*")):
        if path.suffix not in (".py", ".md", ".yaml", ".csv") or "__pycache__" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        missing += [(path.name, c) for c in cited.findall(text) if not (ROOT / c).exists()]
        outside += [path.name for marker in markers if marker in text]
    assert missing == []
    assert outside == []
