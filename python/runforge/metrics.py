"""metrics.jsonl (SPEC section 9): the one writer of its lines, for the built-in trainer and for users'
programs. Each line is `{"step", "epoch"?, "name", "value", "time"}`; RunForge charts the points that
have a step and takes the last value of each name as a command run's `summary.metrics`
(src/run/files/trainer-output.ts)."""
from __future__ import annotations

import json
import os
import time
from typing import Any, Dict, Mapping, Optional

from .context import run_dir

METRICS_FILE = "metrics.jsonl"


class MetricsWriter:
    """Appends metric points to one metrics.jsonl. `durable` fsyncs each line (the built-in trainer's
    points survive a machine crash); a user's program, which may log thousands, does not by default."""

    def __init__(self, path: str, durable: bool = True) -> None:
        self.path = path
        self.durable = durable

    def point(self, name: str, value: float, step: Optional[int], epoch_index: Optional[int] = None) -> None:
        """Appends one point; `step=None` writes a point without a step (it counts for the summary,
        not for the chart)."""
        record: Dict[str, Any] = {}
        if step is not None:
            record["step"] = int(step)
        record.update({"name": str(name), "value": float(value), "time": time.time()})
        if epoch_index is not None:
            record["epoch"] = int(epoch_index)
        self._append(json.dumps(record) + "\n")

    def _append(self, line: str) -> None:
        # One write of a whole line in append mode: a reader never sees half of two points interleaved.
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line)
            if self.durable:
                f.flush()
                os.fsync(f.fileno())


_step = 0


def _next_step(step: Optional[int]) -> int:
    """The step of a point: the one given, else one more than the last step counted for the caller."""
    global _step
    if step is not None:
        return int(step)
    _step += 1
    return _step


def _writer() -> Optional[MetricsWriter]:
    directory = run_dir()
    return MetricsWriter(os.path.join(directory, METRICS_FILE), durable=False) if directory else None


def metric(name: str, value: float, step: Optional[int] = None, epoch: Optional[int] = None) -> None:
    """Records one metric point (a line of metrics.jsonl); the last value of each metric becomes the
    run's summary. Without `step`, each call counts one step. Outside RunForge it only prints."""
    at = _next_step(step)
    writer = _writer()
    if writer:
        writer.point(name, value, step=at, epoch_index=epoch)
    else:
        print(f"{name}={value} (step {at})", flush=True)


def log_metrics(values: Mapping[str, float], step: Optional[int] = None, epoch: Optional[int] = None) -> None:
    """Records several metrics at one step, e.g. `log_metrics({"loss": 0.3, "accuracy": 0.9})`.
    Without `step`, the call counts one step for all of them."""
    at = _next_step(step)
    for name, value in values.items():
        metric(name, value, step=at, epoch=epoch)


def summary(**metrics: float) -> None:
    """The run's final metrics, e.g. `summary(accuracy=0.93, loss=0.21)`: they become result.json's
    `summary.metrics` (each as the last value of its name). Written as points without a step, so the
    charts do not show them. Call it at the end: a later `metric` of the same name replaces it."""
    writer = _writer()
    if writer is None:
        print("summary: " + " ".join(f"{name}={value}" for name, value in metrics.items()), flush=True)
        return
    for name, value in metrics.items():
        writer.point(name, value, step=None)
