"""What RunForge tells a run through its environment: the run folder and the run's parameters."""
from __future__ import annotations

import json
import os
from typing import Any, Dict, Optional

RUN_DIR_ENV = "RUNFORGE_RUN_DIR"
PARAMS_ENV = "RUNFORGE_PARAMS"


def run_dir() -> Optional[str]:
    """The run's folder (`RUNFORGE_RUN_DIR`), or None outside RunForge."""
    return os.environ.get(RUN_DIR_ENV) or None


def params() -> Dict[str, Any]:
    """The run's parameters by name, e.g. `params()["lr"]`, from `RUNFORGE_PARAMS`; `{}` when it is not
    set (outside RunForge). RunForge sets it to `{"swept": {<path>: value}, "hyperparameters": {...}}`:
    the result is the hyperparameters, then each swept value under the last segment of its path (the
    name a `{lr}` placeholder uses; `model.hyperparameters.lr` → `lr`). Any other JSON object is
    returned as it is. A fresh dict each call.

    Raises ValueError when the variable is set but is not a JSON object."""
    text = os.environ.get(PARAMS_ENV)
    if text is None or text.strip() == "":
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{PARAMS_ENV} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{PARAMS_ENV} must be a JSON object, got {type(value).__name__}")
    return _by_name(value)


def _by_name(value: Dict[str, Any]) -> Dict[str, Any]:
    swept, hyperparameters = value.get("swept"), value.get("hyperparameters")
    if set(value) != {"swept", "hyperparameters"} or not isinstance(swept, dict) or not isinstance(hyperparameters, dict):
        return value
    out = dict(hyperparameters)
    for path, swept_value in swept.items():
        out[str(path).split(".")[-1]] = swept_value
    return out
