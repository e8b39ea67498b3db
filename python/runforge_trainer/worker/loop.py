"""The worker's main loop: wait on the request stream and on signals (SIGCHLD wakes it through a
wakeup pipe), answer each request, reap ended runs; and stop. On stdin EOF, SIGTERM or SIGINT the
worker starts nothing new, waits for its runs (it never signals them: they are in their own
sessions), writes each exit_status and exits 0."""
import json
import os
import selectors
import signal
import sys

from .protocol import Protocol, log, validate_run
from .runs import Runs


class Worker:
    """The loop over one protocol connection, with the runs it forked."""

    def __init__(self, protocol: Protocol, preloaded: list):
        self.protocol = protocol
        self.preloaded = preloaded
        self.stopping = ""  # why the worker starts nothing new: "stdin closed", "SIGTERM"
        self.runs = Runs(protocol, self.release_in_child)
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
            log(f"{self.stopping}: starting nothing new, waiting for {len(self.runs)} run(s)")

    def release_in_child(self) -> None:
        """In a forked run: closes the worker's selector and pipes, which must not stay open there."""
        self.selector.close()
        for fd in (self.wake_r, self.wake_w, self.protocol.in_fd, self.protocol.out_fd):
            os.close(fd)

    def serve(self) -> int:
        """Runs until stopped with no run left; returns the worker's exit code (0)."""
        while True:
            self.runs.reap()
            if (self.stopping or self.protocol.closed) and not self.runs:
                log("no run left, exiting")
                return 0
            # The timeout is a safety net only: SIGCHLD and stdin wake the loop.
            for key, _ in self.selector.select(timeout=5.0 if self.runs else None):
                if key.data == "wake":
                    try:
                        while os.read(self.wake_r, 512):
                            pass
                    except BlockingIOError:
                        pass
                else:
                    self.read_stdin()

    def read_stdin(self) -> None:
        lines = self.protocol.receive()
        if self.protocol.closed:
            self.selector.unregister(self.protocol.in_fd)
            if not self.stopping:
                self.stopping = "stdin closed"
                log(f"stdin closed: waiting for {len(self.runs)} run(s)")
        # After the EOF bookkeeping: a last unterminated request is answered as shutting down.
        for line in lines:
            self.handle(line)

    def handle(self, line: bytes) -> None:
        """Answers one request line (a malformed one gets an error reply; the worker carries on)."""
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
            if not problem and self.runs.has(rid):
                problem = f"run {rid} is already running"
            if problem:
                self.protocol.send({"id": rid, "error": problem})
            else:
                self.runs.start(req)
        else:
            self.protocol.send({"id": rid, "error": f"unknown op: {op!r} (expected 'run' or 'ping')"})

    def status(self) -> dict:
        torch = sys.modules.get("torch")
        cuda = bool(torch is not None and torch.cuda.is_initialized())  # asking does not initialise it
        return {"pid": os.getpid(), "preloaded": self.preloaded, "running": len(self.runs), "cuda_initialized": cuda}
