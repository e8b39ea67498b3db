"""A tiny helper for your own training scripts run by RunForge (requests with "command").

    import runforge_helper as rf
    rf.metric("loss", 0.42, step=3)          # a point in metrics.jsonl (charts, summary)

and, if you like, rf.epoch(3, 10), rf.progress(30, 100, "batches"), rf.stage("EVALUATING").
RunForge puts this file's folder on PYTHONPATH and sets RUNFORGE_RUN_DIR; outside RunForge the calls
only print."""
import json
import os
import sys
import time

_step = 0


def _emit(token):
    sys.stdout.write(token + "\n")
    sys.stdout.flush()


def run_dir():
    """The run's folder (RUNFORGE_RUN_DIR), or None outside RunForge."""
    return os.environ.get("RUNFORGE_RUN_DIR")


def metric(name, value, step=None, epoch=None):
    """Records one metric point; the last value of each metric becomes the run's summary."""
    global _step
    if step is None:
        _step += 1
        step = _step
    record = {"step": int(step), "name": str(name), "value": float(value), "time": time.time()}
    if epoch is not None:
        record["epoch"] = int(epoch)
    directory = run_dir()
    if directory:
        with open(os.path.join(directory, "metrics.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
    else:
        print(f"{name}={value} (step {step})", flush=True)


def epoch(i, n):
    _emit(f"[RF:EPOCH={int(i)}/{int(n)}]")


def progress(current, total, unit="steps"):
    _emit(f"[RF:PROGRESS={int(current)}/{int(total)} {unit}]")


def stage(name):
    _emit(f"[RF:STAGE={name}]")
