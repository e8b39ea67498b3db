"""A warm trainer: `python -m runforge_trainer.worker [--preload-torch]`.

Imports numpy, pandas, scikit-learn and the trainer once (torch only with --preload-torch, and never
torch.cuda: a CUDA context does not survive fork), then forks one isolated child per run, so a run
pays a fork (a few ms) instead of Python's start-up and ~1 s of imports. `python -m runforge_trainer`
stays the cold start and the fallback; a forked run behaves as that command would.

One module per concept (docs/training.md has the whole story):
  protocol.py  the JSON-line protocol (its messages are listed there), the log, request validation
  preload.py   what is imported and warmed up once, before any fork
  loop.py      the main loop: requests, signals, stopping on stdin EOF / SIGTERM / SIGINT
  runs.py      forking a run, reaping it, its exit_status file
  child.py     what a forked child does before it calls the trainer's main
This file is the start-up: arguments, preload, warm-up, `ready`, then the loop."""
import gc
import os
import sys
import time

from .loop import Worker
from .preload import preload, warm_up
from .protocol import PROTOCOL, Protocol, log

EXIT_IMPORT_FAILED = 3


def main(argv=None) -> int:
    """Starts the worker on this process's stdin/stdout and serves until it stops; the exit code."""
    args = sys.argv[1:] if argv is None else argv
    unknown = [a for a in args if a != "--preload-torch"]
    if unknown:
        sys.stderr.write(f"usage: python -m runforge_trainer.worker [--preload-torch] (unknown: {' '.join(unknown)})\n")
        return 2
    protocol = Protocol()
    started = time.monotonic()
    try:
        preloaded = preload("--preload-torch" in args)
    except ImportError as exc:
        log(str(exc))
        protocol.send({"op": "error", "error": str(exc)})
        return EXIT_IMPORT_FAILED
    try:
        warm_up()
    except Exception as exc:  # only slower runs: not a reason to refuse them
        log(f"warm-up failed, runs will load lazily: {type(exc).__name__}: {exc}")
    gc.collect()
    gc.freeze()  # what is loaded now stays shared with the children instead of being copied by the GC
    ready_ms = round((time.monotonic() - started) * 1000)
    worker = Worker(protocol, preloaded)
    log(f"ready in {ready_ms} ms: {', '.join(preloaded)}")
    protocol.send({"op": "ready", "pid": os.getpid(), "protocol": PROTOCOL, "python": sys.version.split()[0], "preloaded": preloaded, "ready_ms": ready_ms})
    return worker.serve()
