"""The trainer's RF tokens and metrics.jsonl points: the `runforge` package's writers (one
implementation for the trainer and for users' programs), under the names the trainer uses."""
from runforge.metrics import MetricsWriter
from runforge.tokens import emit, epoch, log, progress, stage

__all__ = ["MetricsWriter", "emit", "epoch", "log", "progress", "stage"]
