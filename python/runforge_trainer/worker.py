"""A warm trainer: `python -m runforge_trainer.worker [--preload-torch]`.

Imports numpy, pandas, scikit-learn and the trainer once (torch only with --preload-torch, and never
torch.cuda: a CUDA context does not survive fork), then forks one isolated child per run, so a run
pays a fork (a few ms) instead of Python's start-up and ~1 s of imports. `python -m runforge_trainer`
stays the cold start and the fallback; a forked run behaves as that command would.

Protocol: one JSON object per line on stdin (requests) and stdout (replies); stdout carries nothing
else (the worker's own diagnostics and any stray print go to stderr).

  worker  {"op":"ready","pid":N,"protocol":1,"python":"3.11.2","preloaded":[...],"ready_ms":N}  once
  worker  {"op":"error","error":"cannot import pandas: ..."}                         instead, then exit 3
  request {"op":"run","id":S,"argv":[...],"env":{...},"cwd":D,"output":F,"exit_status":F}
  reply   {"id":S,"pid":N}                                 the child runs `runforge_trainer <argv>`
  reply   {"event":"exit","id":S,"pid":N,"exit_code":N|null,"signal":"SIGTERM"|null}
  request {"op":"ping"}   reply {"op":"pong","pid":N,"preloaded":[...],"running":N,"cuda_initialized":false}
  any malformed request   reply {"id":S|null,"error":"..."}   and the worker carries on

The child: own session and process group (setsid), stdin from /dev/null, stdout and stderr appended
to `output`, cwd `cwd`, environment exactly `env` (sys.path follows its PYTHONPATH), random and numpy
reseeded, default signal handlers; it ends with os._exit(main(argv)). When it ends the worker writes
`exit_status` atomically ({"pid","exit_code","signal"}) before sending the exit event, so a caller
that lost the worker still finds the outcome there. On stdin EOF, SIGTERM or SIGINT the worker starts
nothing new, waits for its children (it never signals them: they are in their own sessions), writes
each exit_status and exits 0."""
import importlib
import io
import json
import os
import selectors
import signal
import sys
import time
import traceback

PROTOCOL = 1
BASE_MODULES = ["numpy", "pandas", "sklearn", "joblib"]
# The trainer's modules, and the parts of scikit-learn it imports lazily during a run.
TRAINER_MODULES = [
    "runforge_trainer.__main__",
    "runforge_trainer.data",
    "runforge_trainer.evaluate",
    "runforge_trainer.sklearn_models",
    "runforge_trainer.tokens",
    "runforge_trainer.mlp",
    "sklearn.utils._param_validation",
]
TORCH_MODULES = ["torch", "torch.nn", "torch.optim"]
EXIT_IMPORT_FAILED = 3
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD}


def log(message: str) -> None:
    sys.stderr.write(f"[runforge-worker {os.getpid()}] {message}\n")
    sys.stderr.flush()


class Protocol:
    """The protocol streams, moved off fds 0 and 1 so that nothing else can read or write them."""

    def __init__(self):
        self.in_fd = os.dup(0)
        self.out_fd = os.dup(1)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(2, 1)  # a library's print() lands in the log, not in the protocol
        self.broken = False

    def send(self, message: dict) -> None:
        if self.broken:
            return
        data = (json.dumps(message) + "\n").encode()
        try:
            while data:
                data = data[os.write(self.out_fd, data) :]
        except OSError as exc:  # the reader is gone (daemon died): keep going, exit_status files still count
            self.broken = True
            log(f"cannot write replies any more: {exc}")


def preload(with_torch: bool) -> list:
    """Imports what a run needs; raises ImportError naming the module that is missing."""
    names = BASE_MODULES + TRAINER_MODULES + (TORCH_MODULES if with_torch else [])
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:
            raise ImportError(f"cannot import {name}: {type(exc).__name__}: {exc}") from exc
    return [n for n in names if "." not in n] + ["runforge_trainer"]


def warm_up() -> None:
    """Trains each scikit-learn family once on a tiny dataset, so that what the libraries load or
    cache on first use (parsers, solvers, validation tables) is loaded here, once, and not in every
    run: a forked run then costs about what its training costs. Torch is never exercised here: its
    thread pools and CUDA must start in the run, after the fork."""
    import contextlib
    import tempfile

    from .__main__ import main as train_main

    rows = "".join(f"{i % 7},{i % 3}.5,{'' if i % 5 == 0 else 'xy'[i % 2]},{'pq'[i % 2]}\n" for i in range(40))
    with tempfile.TemporaryDirectory(prefix="runforge-worker-") as tmp:
        dataset = os.path.join(tmp, "warm-up.csv")
        with open(dataset, "w", encoding="utf-8") as f:
            f.write("a,b,c,label\n" + rows)
        for family in ("logistic_regression", "random_forest", "linear_svc"):
            run_dir = os.path.join(tmp, family)
            os.makedirs(run_dir)
            config = {"family": family, "hyperparameters": {"n_estimators": 3} if family == "random_forest" else {}, "dataset_path": dataset,
                      "label_column": "label", "seed": 0, "device": "cpu", "run_dir": run_dir, "test_size": 0.2}
            with contextlib.redirect_stdout(io.StringIO()):
                code = train_main(["--config", json.dumps(config), "--summary-out", os.path.join(run_dir, "summary.json")])
            if code != 0:
                raise RuntimeError(f"warm-up {family} exited {code}")


def path_entries(pythonpath: str, cwd: str) -> list:
    return [os.path.abspath(os.path.join(cwd, p)) for p in pythonpath.split(os.pathsep) if p]


def exit_fields(status: int) -> tuple:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            return None, signal.Signals(number).name
        except ValueError:
            return None, f"SIG{number}"
    return os.waitstatus_to_exitcode(status), None


def write_exit_status(path: str, record: dict) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(record, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


RUN_FIELDS = {"id": str, "argv": list, "env": dict, "cwd": str, "output": str, "exit_status": str}


def validate_run(req: dict) -> str:
    """The first problem of a run request, or ''."""
    for field, kind in RUN_FIELDS.items():
        if not isinstance(req.get(field), kind):
            return f"run request: '{field}' must be a {kind.__name__}"
    if not req["id"]:
        return "run request: 'id' is empty"
    if not all(isinstance(a, str) for a in req["argv"]):
        return "run request: 'argv' must be a list of strings"
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in req["env"].items()):
        return "run request: 'env' must map strings to strings"
    if not os.path.isdir(req["cwd"]):
        return f"run request: cwd is not a directory: {req['cwd']}"
    if not os.path.isabs(req["exit_status"]) or not os.path.isdir(os.path.dirname(req["exit_status"])):
        return f"run request: exit_status must be an absolute path in an existing folder: {req['exit_status']}"
    return ""


class Worker:
    def __init__(self, protocol: Protocol, preloaded: list):
        self.protocol = protocol
        self.preloaded = preloaded
        self.children = {}  # pid -> request
        self.stopping = ""  # why the worker starts nothing new: "stdin closed", "SIGTERM"
        self.stdin_open = True
        self.buffer = b""
        worker_path = set(path_entries(os.environ.get("PYTHONPATH", ""), os.getcwd()))
        # sys.path without the worker's own PYTHONPATH and script folder: a run's start from its own.
        self.base_path = [p for p in sys.path[1:] if p not in worker_path]
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so that SIGCHLD wakes select()
        signal.signal(signal.SIGTERM, self.on_stop_signal)
        signal.signal(signal.SIGINT, self.on_stop_signal)
        self.selector = selectors.DefaultSelector()
        self.selector.register(protocol.in_fd, selectors.EVENT_READ, "stdin")
        self.selector.register(self.wake_r, selectors.EVENT_READ, "wake")

    def on_stop_signal(self, signum, _frame) -> None:
        if not self.stopping:
            self.stopping = signal.Signals(signum).name
            log(f"{self.stopping}: starting nothing new, waiting for {len(self.children)} run(s)")

    def serve(self) -> int:
        while True:
            self.reap()
            if (self.stopping or not self.stdin_open) and not self.children:
                log("no run left, exiting")
                return 0
            # The timeout is a safety net only: SIGCHLD and stdin wake the loop.
            for key, _ in self.selector.select(timeout=5.0 if self.children else None):
                if key.data == "wake":
                    try:
                        while os.read(self.wake_r, 512):
                            pass
                    except BlockingIOError:
                        pass
                else:
                    self.read_stdin()

    def read_stdin(self) -> None:
        try:
            chunk = os.read(self.protocol.in_fd, 65536)
        except OSError as exc:
            log(f"cannot read requests: {exc}")
            chunk = b""
        if not chunk:
            self.stdin_open = False
            self.selector.unregister(self.protocol.in_fd)
            if not self.stopping:
                self.stopping = "stdin closed"
                log(f"stdin closed: waiting for {len(self.children)} run(s)")
            if self.buffer.strip():
                self.handle(self.buffer)
            self.buffer = b""
            return
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            if line.strip():
                self.handle(line)

    def handle(self, line: bytes) -> None:
        try:
            req = json.loads(line)
        except ValueError as exc:
            self.protocol.send({"id": None, "error": f"not a JSON line: {exc}"})
            return
        if not isinstance(req, dict):
            self.protocol.send({"id": None, "error": "a request must be a JSON object"})
            return
        rid = req.get("id") if isinstance(req.get("id"), (str, int)) else None
        op = req.get("op")
        if op == "ping":
            self.protocol.send({"op": "pong", **({"id": rid} if rid is not None else {}), **self.status()})
        elif op == "run":
            problem = validate_run(req)
            if not problem and self.stopping:
                problem = f"the worker is shutting down ({self.stopping}); start the run cold"
            if not problem and any(r["id"] == rid for r in self.children.values()):
                problem = f"run {rid} is already running"
            if problem:
                self.protocol.send({"id": rid, "error": problem})
            else:
                self.start(req)
        else:
            self.protocol.send({"id": rid, "error": f"unknown op: {op!r} (expected 'run' or 'ping')"})

    def status(self) -> dict:
        torch = sys.modules.get("torch")
        cuda = bool(torch is not None and torch.cuda.is_initialized())  # asking does not initialise it
        return {"pid": os.getpid(), "preloaded": self.preloaded, "running": len(self.children), "cuda_initialized": cuda}

    def start(self, req: dict) -> None:
        try:
            out_fd = os.open(req["output"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            self.protocol.send({"id": req["id"], "error": f"cannot open output {req['output']}: {exc.strerror}"})
            return
        null_fd = os.open(os.devnull, os.O_RDONLY)
        in_session_r, in_session_w = os.pipe()
        # Signals wait until the child has its own handlers: the worker's must never run in a run.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        pid = os.fork()
        if pid == 0:
            self.become_run(req, out_fd, null_fd, in_session_r, in_session_w, mask)  # never returns
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(out_fd)
        os.close(null_fd)
        # Reply only once the child leads its own process group, so that the caller can signal the
        # group as soon as it knows the pid. The child closes its end after setsid() (or dies).
        os.close(in_session_w)
        os.read(in_session_r, 1)
        os.close(in_session_r)
        self.children[pid] = req
        self.protocol.send({"id": req["id"], "pid": pid})
        log(f"run {req['id']}: pid {pid}")

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            req = self.children.pop(pid, None)
            if req is None:
                continue
            exit_code, sig = exit_fields(status)
            try:
                write_exit_status(req["exit_status"], {"pid": pid, "exit_code": exit_code, "signal": sig})
            except OSError as exc:
                log(f"run {req['id']}: cannot write {req['exit_status']}: {exc}")
            self.protocol.send({"event": "exit", "id": req["id"], "pid": pid, "exit_code": exit_code, "signal": sig})
            log(f"run {req['id']}: pid {pid} ended ({sig or f'exit {exit_code}'})")

    def become_run(self, req: dict, out_fd: int, null_fd: int, in_session_r: int, in_session_w: int, mask) -> None:
        """In the forked child: isolate, then run the trainer's main as `python -m runforge_trainer`."""
        code = 1
        try:
            os.setsid()
            signal.set_wakeup_fd(-1)
            for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
                signal.signal(signum, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a fresh interpreter
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            os.close(in_session_r)
            os.close(in_session_w)  # tells the worker the process group exists: it may be signalled now
            self.selector.close()
            # The worker's pipes must not stay open in a run: the daemon would miss the worker's EOF.
            for fd in (self.wake_r, self.wake_w, self.protocol.in_fd, self.protocol.out_fd):
                os.close(fd)
            os.dup2(null_fd, 0)
            os.dup2(out_fd, 1)
            os.dup2(out_fd, 2)
            os.close(out_fd)
            os.close(null_fd)
            env = req["env"]
            unbuffered = bool(env.get("PYTHONUNBUFFERED"))
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
            cwd = os.path.abspath(req["cwd"])
            os.chdir(cwd)
            os.environ.clear()
            os.environ.update(env)  # putenv too: libraries that read the C environment later see the run's
            sys.path[:] = list(dict.fromkeys([cwd] + path_entries(env.get("PYTHONPATH", ""), cwd) + self.base_path))
            entry = sys.modules["runforge_trainer.__main__"]
            sys.argv = [entry.__file__] + list(req["argv"])
            import random

            random.seed()
            numpy = sys.modules.get("numpy")
            if numpy is not None:
                numpy.random.seed()
            code = entry.main(list(req["argv"]))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except KeyboardInterrupt:
            traceback.print_exc()
            self.flush_streams()
            # Die of SIGINT, as an interpreter does after an unhandled KeyboardInterrupt.
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            self.flush_streams()
            os._exit(code if isinstance(code, int) else 1)

    @staticmethod
    def flush_streams() -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass


def main(argv=None) -> int:
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
    import gc

    gc.collect()
    gc.freeze()  # what is loaded now stays shared with the children instead of being copied by the GC
    ready_ms = round((time.monotonic() - started) * 1000)
    worker = Worker(protocol, preloaded)
    log(f"ready in {ready_ms} ms: {', '.join(preloaded)}")
    protocol.send({"op": "ready", "pid": os.getpid(), "protocol": PROTOCOL, "python": sys.version.split()[0], "preloaded": preloaded, "ready_ms": ready_ms})
    return worker.serve()


if __name__ == "__main__":
    sys.exit(main())
