"""Compute formulas kept as data (`data/compute_formulas.csv`), parsed by a whitelist.

A formula is arithmetic over numbers and known variable names: `+ - * / **`, unary minus and
parentheses. Anything else (calls, attributes, subscripts, comparisons, unknown names) is
rejected at parse time. Evaluation walks the checked syntax tree itself; nothing is `eval`-ed.
Values may be floats or numpy arrays (formulas broadcast over Monte Carlo draws).
"""

from __future__ import annotations

import ast
import math
import operator
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from chipcast.contracts import FORMULA_VARIABLES, FORMULAS

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
_MAX_LENGTH = 500  # a formula is a line of arithmetic, not a program
_MAX_NODES = 200  # syntax-tree nodes: bounds evaluation work whatever the text
MAX_EXPONENT = 10.0  # `x ** k` needs a number |k| <= 10: `10**10**10` would never finish


class FormulaError(ValueError):
    """A formula uses something outside the whitelist, or cannot be evaluated. `reason` says
    what is wrong without quoting the formula (a message to the user names its file and row)."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


def _fail(text: str, reason: str) -> FormulaError:
    return FormulaError(f"formula '{text}': {reason}", reason)


@dataclass(frozen=True)
class Formula:
    """A parsed formula: its text, the variable names it reads, and its checked tree."""

    text: str
    names: frozenset[str]
    _tree: ast.Expression

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        """Value of the formula with variables taken from `env` (floats or numpy arrays)."""
        missing = sorted(self.names - env.keys())
        if missing:
            raise _fail(self.text, f"needs values for: {', '.join(missing)}")
        with np.errstate(divide="raise", invalid="raise", over="raise"):
            try:
                return _eval(self._tree.body, env)
            except (ZeroDivisionError, FloatingPointError, OverflowError) as exc:
                raise _fail(self.text, f"cannot be evaluated ({exc})") from exc


def parse_formula(text: str, allowed_names: Iterable[str]) -> Formula:
    """Parse `text` (an expression, optionally written `name = expression`) against a whitelist.

    Raises FormulaError naming the first construct that is not allowed.
    """
    allowed = frozenset(allowed_names)
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("formula is empty")
    if len(text) > _MAX_LENGTH:
        raise FormulaError(f"formula is longer than {_MAX_LENGTH} characters")
    expr = text.strip()
    # `training_flops = 6 * N * D`: the left side is a label, the right side the formula.
    if "=" in expr:
        label, _, rhs = expr.partition("=")
        if not label.strip().isidentifier() or "=" in rhs:
            raise _fail(text, "only one `name = expression` is allowed")
        expr = rhs.strip()
    try:
        with warnings.catch_warnings():  # `1x` warns "invalid decimal literal": an error here
            warnings.simplefilter("error", SyntaxWarning)
            tree = ast.parse(expr, mode="eval")
    except SyntaxWarning as exc:
        raise _fail(text, f"not valid arithmetic ({exc})") from exc
    except SyntaxError as exc:
        raise _fail(text, f"not valid arithmetic ({exc.msg})") from exc
    except (RecursionError, MemoryError, ValueError) as exc:  # deep nesting, NUL bytes
        raise _fail(text, f"not valid arithmetic ({type(exc).__name__})") from exc
    nodes = list(ast.walk(tree))
    if len(nodes) > _MAX_NODES:
        raise _fail(text, f"more than {_MAX_NODES} terms")
    names: set[str] = set()
    for node in nodes:
        _check_node(node, text, allowed, names)
    return Formula(text=expr, names=frozenset(names), _tree=tree)


def _check_node(node: ast.AST, text: str, allowed: frozenset[str], names: set[str]) -> None:
    if isinstance(node, ast.Expression | ast.operator | ast.unaryop | ast.Load):
        if isinstance(node, ast.operator) and type(node) not in _BINARY:
            raise _fail(text, f"operator {type(node).__name__} is not allowed")
        if isinstance(node, ast.unaryop) and type(node) not in _UNARY:
            raise _fail(text, f"operator {type(node).__name__} is not allowed")
        return
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        exponent = _number(node.right)
        if exponent is None or abs(exponent) > MAX_EXPONENT:
            raise _fail(text, f"an exponent must be a number between "
                               f"-{MAX_EXPONENT:g} and {MAX_EXPONENT:g}")
        return
    if isinstance(node, ast.BinOp | ast.UnaryOp):
        return
    if isinstance(node, ast.Constant):
        # bool is an int subclass: True * x is not arithmetic anyone means.
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise _fail(text, f"only numbers are allowed, not {repr(node.value)[:40]}")
        return
    if isinstance(node, ast.Name):
        if node.id not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise _fail(text, f"unknown name '{node.id}' (known: {known})")
        names.add(node.id)
        return
    raise _fail(text, f"{type(node).__name__} is not allowed")


def _number(node: ast.AST) -> float | None:
    """The value of a number literal, signed or not (None for anything else)."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(
            node.value, bool):
        try:
            return sign * float(node.value)
        except OverflowError:  # an integer literal beyond float range
            return math.inf
    return None


def _eval(node: ast.AST, env: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_eval(node.left, env), _eval(node.right, env))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_eval(node.operand, env))
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return env[node.id]
    raise FormulaError(f"unexpected {type(node).__name__}")  # parse_formula rejects these


def formula_set(rows: Iterable[tuple[str, str]]) -> dict[str, Formula]:
    """Parse (name, expression) rows into the named formulas the model uses.

    Names the model needs but `rows` lacks fall back to the seed article's expressions
    (chipcast.contracts.FORMULAS).
    """
    texts = {name: spec.default for name, spec in FORMULAS.items()}
    for name, expression in rows:
        texts[name] = expression
    return {name: parse_formula(text, FORMULA_VARIABLES) for name, text in texts.items()}
