"""Artifacts of a user's program: files in the run's `artifacts/` folder, which RunForge lists in
result.json (`artifacts [{path, type, bytes}]`, SPEC section 5) when the run ends. The type given here
is recorded in `.artifacts.jsonl` (run folder); a file without one is typed by its name."""
from __future__ import annotations

import json
import os
import shutil

from .context import run_dir

ARTIFACTS_DIR = "artifacts"
TYPES_FILE = ".artifacts.jsonl"
#: The types SPEC section 5 names; another string is kept as it is (readers keep unknown types).
KNOWN_TYPES = ("model", "metrics", "feature_importance", "linear_coefficients", "encoder", "log", "checkpoint", "other")


def artifact(path: str, type: str = "other") -> str:
    """Makes the file at `path` an artifact of the run, of `type` (`model`, `checkpoint`, `metrics`…):
    copied into the run's `artifacts/` folder unless it is already there (same name: the later copy
    wins). Returns its run-folder-relative path (`artifacts/<name>`). Outside RunForge it only prints
    and returns `path`. Raises FileNotFoundError or IsADirectoryError when `path` is not a file."""
    if not isinstance(type, str) or type == "":
        raise ValueError("artifact type must be a non-empty string")
    directory = run_dir()
    if directory is None:
        print(f"artifact: {path} ({type})", flush=True)
        return path
    if os.path.isdir(path):
        raise IsADirectoryError(f"artifact must be a file, not a folder: {path}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such artifact file: {path}")
    folder = os.path.join(directory, ARTIFACTS_DIR)
    os.makedirs(folder, exist_ok=True)
    name = os.path.basename(path)
    target = os.path.join(folder, name)
    if not (os.path.exists(target) and os.path.samefile(path, target)):
        shutil.copyfile(path, target)
    relative = f"{ARTIFACTS_DIR}/{name}"
    with open(os.path.join(directory, TYPES_FILE), "a", encoding="utf-8") as f:
        f.write(json.dumps({"path": relative, "type": type}) + "\n")
    return relative
