"""Suite for model_releases.csv: one row per firm x model; firms and classes exist."""

from __future__ import annotations

from datetime import datetime

from chipcast.checks.engine import CheckFrame
from chipcast.checks.rules import between, columns_exist, in_set, not_null, unique
from chipcast.inputs import Inputs


def checks(inputs: Inputs) -> list[CheckFrame]:
    """model_releases: one row per (firm, model)."""
    f = inputs.model_releases
    rules = columns_exist(f, "model_releases")
    rules += not_null(["firm", "model", "model_class", "release_date", "source"])
    rules.append(unique(["firm", "model"], "model_releases"))
    firms = inputs.firms["firm"].drop_nulls().to_list()
    rules.append(in_set("firm", firms, "firm not found in firms.csv",
                        hint="add the firm to firms.csv or fix the id"))
    classes = sorted(set(inputs.model_classes["model_class"].drop_nulls()) - {"*"})
    rules.append(in_set("model_class", classes, "model_class not found in model_classes.csv",
                        hint="add its rows to model_classes.csv or use one of: "
                        + ", ".join(classes)))
    rules.append(between("release_date", datetime(2015, 1, 1), datetime(2035, 12, 31),
                         "release_date outside 2015-2035", hint="check the year"))
    rules[-1].scale = None
    return [CheckFrame("model_releases", "model_releases.csv", f, rules)]
