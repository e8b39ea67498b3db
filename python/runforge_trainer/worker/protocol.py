"""The worker's wire protocol: one JSON object per line on the protocol's stdin (requests) and stdout
(replies), the worker's log on stderr, and what a well-formed run request holds.

  worker  {"op":"ready","pid":N,"protocol":1,"python":"3.11.2","preloaded":[...],"ready_ms":N}  once
  worker  {"op":"error","error":"cannot import pandas: ..."}                         instead, then exit 3
  request {"op":"run","id":S,"argv":[...],"env":{...},"cwd":D,"output":F,"exit_status":F}
  reply   {"id":S,"pid":N}                                 the child runs `runforge_trainer <argv>`
  reply   {"event":"exit","id":S,"pid":N,"exit_code":N|null,"signal":"SIGTERM"|null}
  request {"op":"ping"}   reply {"op":"pong","pid":N,"preloaded":[...],"running":N,"cuda_initialized":false}
  any malformed request   reply {"id":S|null,"error":"..."}   and the worker carries on"""
import json
import os
import sys

PROTOCOL = 1
RUN_FIELDS = {"id": str, "argv": list, "env": dict, "cwd": str, "output": str, "exit_status": str}


def log(message: str) -> None:
    """One line of the worker's own diagnostics, on stderr (the client sends it to worker.log)."""
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
        self.closed = False  # the request stream reached EOF (or could not be read)
        self.buffer = b""

    def send(self, message: dict) -> None:
        """Writes one reply line; once the reader is gone, replies are dropped (logged once)."""
        if self.broken:
            return
        data = (json.dumps(message) + "\n").encode()
        try:
            while data:
                data = data[os.write(self.out_fd, data) :]
        except OSError as exc:  # the reader is gone (daemon died): keep going, exit_status files still count
            self.broken = True
            log(f"cannot write replies any more: {exc}")

    def receive(self) -> list:
        """Reads what is there (call when in_fd is readable) and returns the complete, non-blank request
        lines. At EOF it sets `closed` and returns the unterminated rest, if any, as a last line."""
        try:
            chunk = os.read(self.in_fd, 65536)
        except OSError as exc:
            log(f"cannot read requests: {exc}")
            chunk = b""
        if not chunk:
            self.closed = True
            rest, self.buffer = self.buffer, b""
            return [rest] if rest.strip() else []
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        return [line for line in lines if line.strip()]


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
