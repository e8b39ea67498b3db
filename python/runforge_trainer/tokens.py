"""RF tokens (SPEC section 9) and metrics.jsonl points, written by the trainer and by user scripts."""
import json
import os
import sys
import time


def emit(token: str) -> None:
    """Prints one RF token on its own line (runforge copies it verbatim into logs.txt)."""
    sys.stdout.write(token + "\n")
    sys.stdout.flush()


def stage(name: str) -> None:
    emit(f"[RF:STAGE={name}]")


def epoch(i: int, n: int) -> None:
    emit(f"[RF:EPOCH={i}/{n}]")


def progress(current: int, total: int, unit: str = "steps") -> None:
    emit(f"[RF:PROGRESS={current}/{total} {unit}]")


def log(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


class MetricsWriter:
    """Appends `{"step", "epoch"?, "name", "value", "time"}` lines to metrics.jsonl."""

    def __init__(self, path: str):
        self.path = path

    def point(self, name: str, value: float, step: int, epoch_index=None) -> None:
        record = {"step": int(step), "name": str(name), "value": float(value), "time": time.time()}
        if epoch_index is not None:
            record["epoch"] = int(epoch_index)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
            f.flush()
            os.fsync(f.fileno())
