"""The runs the worker forks: starting one (fork, then reply once the child leads its own process
group) and reaping those that ended (write their exit_status file atomically, then send the exit
event, so that a caller that lost the worker still finds the outcome in the file)."""
import json
import os
import signal

from . import child
from .protocol import Protocol, log

# Blocked around fork(): the worker's handlers for these must never run in a run.
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD}


def exit_fields(status: int) -> tuple:
    """(exit_code, signal name) of a wait status: one of them is None."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            return None, signal.Signals(number).name
        except ValueError:
            return None, f"SIG{number}"
    return os.waitstatus_to_exitcode(status), None


def write_exit_status(path: str, record: dict) -> None:
    """Writes {"pid","exit_code","signal"} to `path` atomically (temporary file, fsync, rename)."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(record, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Runs:
    """The runs this worker forked and has not reaped yet, by pid."""

    def __init__(self, protocol: Protocol, release_worker):
        self.protocol = protocol
        # Called in each forked child: closes what only the worker may hold (its pipes, its selector).
        self.release_worker = release_worker
        self.children = {}  # pid -> request
        self.base_path = child.base_path()

    def __len__(self) -> int:
        return len(self.children)

    def has(self, rid) -> bool:
        """Whether a run with this id is still running."""
        return any(r["id"] == rid for r in self.children.values())

    def start(self, req: dict) -> None:
        """Forks the run of a valid request and replies with its pid, or with why it cannot start."""
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
            fds = child.ChildFds(out_fd, null_fd, in_session_r, in_session_w)
            child.become_run(req, fds, mask, self.release_worker, self.base_path)  # never returns
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
        """Collects every child that ended: its exit_status file first, then its exit event."""
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
