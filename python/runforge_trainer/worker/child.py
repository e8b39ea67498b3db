"""A forked run, in the child: its own session and process group (setsid), stdin from /dev/null,
stdout and stderr appended to the run's output, cwd `cwd`, environment exactly `env` (sys.path
follows its PYTHONPATH), random and numpy reseeded, default signal handlers; then the trainer's main,
as `python -m runforge_trainer <argv>` would run it, and os._exit with its code."""
import io
import os
import signal
import sys
import traceback
from typing import Callable, NamedTuple


class ChildFds(NamedTuple):
    """The fds a child is forked with: its output file, /dev/null, and the pipe that tells the worker
    (by closing) that the child leads its own process group."""

    output: int
    null: int
    session_r: int
    session_w: int


def path_entries(pythonpath: str, cwd: str) -> list:
    """The folders of a PYTHONPATH, absolute (relative ones are taken from `cwd`)."""
    return [os.path.abspath(os.path.join(cwd, p)) for p in pythonpath.split(os.pathsep) if p]


def base_path() -> list:
    """sys.path without the worker's own PYTHONPATH and script folder: a run's starts from its own."""
    worker_path = set(path_entries(os.environ.get("PYTHONPATH", ""), os.getcwd()))
    return [p for p in sys.path[1:] if p not in worker_path]


def become_run(req: dict, fds: ChildFds, mask, release_worker: Callable[[], None], run_base_path: list) -> None:
    """In the forked child: isolate, then run the trainer's main as `python -m runforge_trainer`.
    Never returns."""
    code = 1
    try:
        take_own_session(fds, mask)
        release_worker()  # the worker's pipes must not stay open in a run: the daemon would miss the worker's EOF
        redirect_stdio(fds, bool(req["env"].get("PYTHONUNBUFFERED")))
        cwd = os.path.abspath(req["cwd"])
        os.chdir(cwd)
        env = req["env"]
        os.environ.clear()
        os.environ.update(env)  # putenv too: libraries that read the C environment later see the run's
        sys.path[:] = list(dict.fromkeys([cwd] + path_entries(env.get("PYTHONPATH", ""), cwd) + run_base_path))
        entry = sys.modules["runforge_trainer.__main__"]
        sys.argv = [entry.__file__] + list(req["argv"])
        reseed()
        code = entry.main(list(req["argv"]))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        traceback.print_exc()
        flush_streams()
        # Die of SIGINT, as an interpreter does after an unhandled KeyboardInterrupt.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        flush_streams()
        os._exit(code if isinstance(code, int) else 1)


def take_own_session(fds: ChildFds, mask) -> None:
    """Leads a new session, restores a fresh interpreter's signal handling, then tells the worker."""
    os.setsid()
    signal.set_wakeup_fd(-1)
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a fresh interpreter
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    os.close(fds.session_r)
    os.close(fds.session_w)  # tells the worker the process group exists: it may be signalled now


def redirect_stdio(fds: ChildFds, unbuffered: bool) -> None:
    """fd 0 from /dev/null, fds 1 and 2 to the output file, and sys.std* as a fresh interpreter's."""
    os.dup2(fds.null, 0)
    os.dup2(fds.output, 1)
    os.dup2(fds.output, 2)
    os.close(fds.output)
    os.close(fds.null)
    encoding = sys.stderr.encoding or "utf-8"
    sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding=encoding)
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(1, "w", closefd=False)), encoding=encoding, write_through=unbuffered
    )
    sys.stderr = sys.__stderr__ = io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(2, "w", closefd=False)),
        encoding=encoding,
        errors="backslashreplace",
        line_buffering=True,
        write_through=unbuffered,
    )


def reseed() -> None:
    """A fresh seed for random and numpy, as a cold start has: forked runs must not share a sequence."""
    import random

    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def flush_streams() -> None:
    """Flushes the run's stdout and stderr before os._exit, which would drop what is buffered."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
