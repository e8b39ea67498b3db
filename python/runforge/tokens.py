"""RF tokens (SPEC section 9): the one place they are written, for the built-in trainer and for users'
programs. RunForge copies each token line verbatim from the run's output into logs.txt and reads
stage, epoch and progress from it."""
from __future__ import annotations

import sys


def emit(token: str) -> None:
    """Prints one RF token on its own line and flushes, so it reaches logs.txt while the run goes on."""
    # sys.stdout at call time, not import time: the warm worker points it at the run's output after fork.
    sys.stdout.write(token + "\n")
    sys.stdout.flush()


def stage(name: str) -> None:
    """`[RF:STAGE=<name>]`, e.g. `stage("EVALUATING")` (SPEC section 9 lists the stages)."""
    emit(f"[RF:STAGE={name}]")


def epoch(i: int, n: int) -> None:
    """`[RF:EPOCH=i/n]`: epoch `i` (from 1) of `n` is under way."""
    emit(f"[RF:EPOCH={int(i)}/{int(n)}]")


def progress(done: int, total: int, unit: str = "steps") -> None:
    """`[RF:PROGRESS=done/total unit]`, e.g. `progress(30, 100, "batches")`."""
    emit(f"[RF:PROGRESS={int(done)}/{int(total)} {unit}]")


def log(message: str) -> None:
    """One plain line in the run's log (flushed, like the tokens, so the two keep their order)."""
    sys.stdout.write(message + "\n")
    sys.stdout.flush()
