"""How the warm worker frames its requests: a line split across reads, several lines in one read,
blank lines, and a last line without a newline when stdin closes."""
import fcntl
import json
import struct
import termios
import time

from test_worker import REPLY_TIMEOUT_S, probe, run_request  # noqa: F401 (probe is a fixture)


def write_raw(worker, data: bytes) -> None:
    worker.proc.stdin.write(data)
    worker.proc.stdin.flush()


def wait_until_read(worker) -> None:
    """Waits (polling the pipe, never a fixed pause) until the worker has read all that was sent."""
    deadline = time.monotonic() + REPLY_TIMEOUT_S
    while struct.unpack("i", fcntl.ioctl(worker.proc.stdin.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]:
        assert time.monotonic() < deadline, f"the worker did not read its stdin; log:\n{worker.log_path.read_text()}"
        time.sleep(0.01)


def next_message(worker):
    return worker.expect(lambda m: True)


def test_a_request_split_across_reads_and_several_in_one_read_are_each_answered_once(probe):
    write_raw(probe, b'{"op": "ping", "i')
    wait_until_read(probe)  # the worker holds half a line now
    write_raw(probe, b'd": "a"}\n\n   \n{"op": "ping", "id": "b"}\n{"op": "ping", "id": "c"}\n')
    # In order, one reply each: the blank lines get no reply at all.
    for rid in ("a", "b", "c"):
        reply = next_message(probe)
        assert reply.get("op") == "pong" and reply["id"] == rid, reply


def test_a_last_ping_without_a_newline_is_answered_when_stdin_closes(probe):
    write_raw(probe, b'{"op": "ping", "id": "last"}')
    wait_until_read(probe)  # an incomplete line until stdin closes
    probe.proc.stdin.close()
    reply = next_message(probe)
    assert reply.get("op") == "pong" and reply["id"] == "last", reply
    assert probe.close() == 0


def test_a_last_run_without_a_newline_is_refused_as_the_worker_is_stopping(probe, tmp_path):
    req = run_request(tmp_path, "last", ["--exit", "0"])
    write_raw(probe, json.dumps(req).encode())
    wait_until_read(probe)
    probe.proc.stdin.close()
    reply = next_message(probe)
    assert reply == {"id": "last", "error": "the worker is shutting down (stdin closed); start the run cold"}
    assert probe.close() == 0
    assert not (tmp_path / "last" / "output.txt").exists()
