"""The warm worker (`python -m runforge_trainer.worker`), driven over its JSON-line protocol."""
import json
import os
import selectors
import signal
import subprocess
import sys

import pytest

from test_trainer import make_csv

PYTHON_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
PROBE = os.path.join(PYTHON_DIR, "tests", "worker_probe.py")
REPLY_TIMEOUT_S = 120  # generous: a loaded 2-core machine; never a timing assertion


class Worker:
    """One worker process: send requests, read replies (in any order) as dicts."""

    def __init__(self, tmp_path, args, env=None):
        self.log_path = tmp_path / "worker.log"
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=PYTHON_DIR,
            env=env or run_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
        )
        self.backlog = []
        self.buffer = b""

    def send(self, message):
        line = message if isinstance(message, str) else json.dumps(message)
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def _read_line(self):
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while b"\n" not in self.buffer:
                if not sel.select(timeout=REPLY_TIMEOUT_S):
                    raise AssertionError(f"no reply; worker log:\n{self.log_path.read_text()}")
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    return None
                self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def expect(self, predicate):
        """The first message (backlog first) for which predicate holds; the others stay queued."""
        for i, message in enumerate(self.backlog):
            if predicate(message):
                return self.backlog.pop(i)
        while True:
            message = self._read_line()
            if message is None:
                raise AssertionError(f"worker closed stdout; log:\n{self.log_path.read_text()}")
            if predicate(message):
                return message
            self.backlog.append(message)

    def ready(self):
        return self.expect(lambda m: m.get("op") in ("ready", "error"))

    def started(self, rid):
        return self.expect(lambda m: m.get("id") == rid and "event" not in m)

    def exited(self, rid):
        return self.expect(lambda m: m.get("event") == "exit" and m.get("id") == rid)

    def close(self):
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        code = self.proc.wait(timeout=REPLY_TIMEOUT_S)
        self.log.close()
        return code


@pytest.fixture
def worker(tmp_path):
    w = Worker(tmp_path, ["-m", "runforge_trainer.worker"])
    assert w.ready()["op"] == "ready"
    yield w
    if w.proc.poll() is None:
        w.proc.kill()
        w.proc.wait()


@pytest.fixture
def probe(tmp_path):
    w = Worker(tmp_path, [PROBE])
    assert w.ready()["op"] == "ready"
    yield w
    if w.proc.poll() is None:
        w.proc.kill()
        w.proc.wait()


def run_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return {**env, "PYTHONPATH": PYTHON_DIR, "PYTHONUNBUFFERED": "1", **extra}


def run_request(tmp_path, rid, argv, env=None, cwd=None):
    folder = tmp_path / rid
    folder.mkdir(exist_ok=True)
    return {
        "op": "run",
        "id": rid,
        "argv": argv,
        "env": env or run_env(),
        "cwd": str(cwd or folder),
        "output": str(folder / "output.txt"),
        "exit_status": str(folder / "exit_status.json"),
    }


def trainer_argv(run_dir, dataset, family="logistic_regression"):
    config = {
        "family": family,
        "hyperparameters": {"max_iter": 1000, "random_state": 42},
        "dataset_path": dataset,
        "label_column": "label",
        "seed": 42,
        "device": "cpu",
        "run_dir": str(run_dir),
        "max_rows": None,
        "test_size": 0.2,
    }
    return ["--config", json.dumps(config), "--summary-out", str(run_dir / "summary.json")]


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def test_a_fork_trains_and_writes_what_a_cold_start_writes(worker, tmp_path):
    dataset = make_csv(tmp_path / "data.csv", rows=1000)
    cold_dir, warm_dir = tmp_path / "cold", tmp_path / "warm"
    cold_dir.mkdir()
    warm_dir.mkdir()
    cold = subprocess.run(
        [sys.executable, "-m", "runforge_trainer", *trainer_argv(cold_dir, dataset)],
        cwd=tmp_path, env=run_env(), capture_output=True, text=True, timeout=REPLY_TIMEOUT_S,
    )
    assert cold.returncode == 0, cold.stderr

    req = run_request(tmp_path, "warm-run", trainer_argv(warm_dir, dataset), cwd=tmp_path)
    worker.send(req)
    pid = worker.started("warm-run")["pid"]
    assert pid != worker.proc.pid
    assert worker.exited("warm-run") == {"event": "exit", "id": "warm-run", "pid": pid, "exit_code": 0, "signal": None}
    assert read_json(req["exit_status"]) == {"pid": pid, "exit_code": 0, "signal": None}

    warm_summary, cold_summary = read_json(warm_dir / "summary.json"), read_json(cold_dir / "summary.json")
    assert warm_summary == cold_summary
    assert warm_summary["metrics"]["accuracy"] > 0.85
    for name in ("model.pkl", "label_encoder.pkl", "metrics.json"):
        assert (warm_dir / "artifacts" / name).read_bytes() == (cold_dir / "artifacts" / name).read_bytes(), name
    strip_time = lambda text: [{k: v for k, v in json.loads(l).items() if k != "time"} for l in text.splitlines()]
    assert strip_time((warm_dir / "metrics.jsonl").read_text()) == strip_time((cold_dir / "metrics.jsonl").read_text())
    assert (tmp_path / "warm-run" / "output.txt").read_text() == cold.stdout + cold.stderr


def test_concurrent_runs_are_isolated_in_env_cwd_output_session_and_randomness(probe, tmp_path):
    go = tmp_path / "go"
    reqs = []
    for name in ("a", "b"):
        cwd = tmp_path / f"cwd-{name}"
        extra = tmp_path / f"lib-{name}"
        cwd.mkdir()
        env = {"RUN_NAME": name, "PATH": os.environ["PATH"], "PYTHONPATH": f"{extra}{os.pathsep}{PYTHON_DIR}"}
        reqs.append(run_request(tmp_path, f"run-{name}", ["--wait-for", str(go)], env=env, cwd=cwd))
        probe.send(reqs[-1])
    pids = [probe.started(r["id"])["pid"] for r in reqs]
    assert probe.send({"op": "ping", "id": "p"}) is None and probe.expect(lambda m: m.get("op") == "pong")["running"] == 2
    go.write_text("")
    reports = []
    for req, pid in zip(reqs, pids):
        assert probe.exited(req["id"])["exit_code"] == 0
        # Without PYTHONUNBUFFERED stdout is block-buffered, as in a cold start: the order may differ.
        lines = open(req["output"], encoding="utf-8").read().splitlines()
        report_lines = [l for l in lines if l.startswith("{")]
        assert len(report_lines) == 1 and [l for l in lines if l not in report_lines] == ["a line on stderr"]
        reports.append(json.loads(report_lines[0]))
    for name, req, pid, report in zip("ab", reqs, pids, reports):
        assert report["pid"] == report["pgid"] == report["sid"] == pid
        assert report["env"] == req["env"]
        assert report["cwd"] == req["cwd"]
        assert report["sys_path"][:3] == [req["cwd"], str(tmp_path / f"lib-{name}"), PYTHON_DIR]
        assert report["argv"] == req["argv"]
        assert report["stdin"] == ""
        assert report["sigterm_default"] and report["sigchld_default"] and report["sigint_default"]
    assert reports[0]["random"] != reports[1]["random"]
    assert reports[0]["numpy"] != reports[1]["numpy"]


def test_exit_codes_failures_and_a_run_killed_through_its_process_group(probe, worker, tmp_path):
    probe.send(run_request(tmp_path, "three", ["--exit", "3"]))
    probe.send(run_request(tmp_path, "raises", ["--raise", "boom"]))
    assert probe.exited("three")["exit_code"] == 3
    assert probe.exited("raises")["exit_code"] == 1
    assert "RuntimeError: boom" in (tmp_path / "raises" / "output.txt").read_text()

    # The real trainer: a usage error exits 2, a failure it can describe exits 1, as a cold start does.
    worker.send(run_request(tmp_path, "usage", ["--config", "{}"]))
    assert worker.exited("usage")["exit_code"] == 2
    assert "the following arguments are required: --summary-out" in (tmp_path / "usage" / "output.txt").read_text()
    worker.send(run_request(tmp_path, "no-data", trainer_argv(tmp_path / "no-data", str(tmp_path / "nope.csv"))))
    assert worker.exited("no-data")["exit_code"] == 1
    assert read_json(tmp_path / "no-data" / "summary.json")["error"]["type"] == "MissingFiles"

    probe.send(run_request(tmp_path, "killed", ["--wait-for", str(tmp_path / "never")]))
    pid = probe.started("killed")["pid"]
    os.killpg(pid, signal.SIGTERM)
    assert probe.exited("killed") == {"event": "exit", "id": "killed", "pid": pid, "exit_code": None, "signal": "SIGTERM"}
    assert read_json(tmp_path / "killed" / "exit_status.json") == {"pid": pid, "exit_code": None, "signal": "SIGTERM"}
    probe.send({"op": "ping"})
    assert probe.expect(lambda m: m.get("op") == "pong")["running"] == 0
    assert probe.proc.poll() is None


@pytest.mark.parametrize("how", ["stdin EOF", "SIGTERM"])
def test_stopping_the_worker_waits_for_running_runs_and_never_signals_them(probe, tmp_path, how):
    go = tmp_path / "go"
    req = run_request(tmp_path, "long", ["--wait-for", str(go), "--exit", "0"])
    probe.send(req)
    pid = probe.started("long")["pid"]
    if how == "SIGTERM":
        probe.proc.send_signal(signal.SIGTERM)
        probe.send(run_request(tmp_path, "late", ["--exit", "0"]))
        assert "shutting down (SIGTERM)" in probe.expect(lambda m: m.get("id") == "late")["error"]
    else:
        probe.proc.stdin.close()
    assert probe.proc.poll() is None  # still waiting for the run
    go.write_text("")
    assert probe.exited("long") == {"event": "exit", "id": "long", "pid": pid, "exit_code": 0, "signal": None}
    assert probe.close() == 0
    assert read_json(req["exit_status"]) == {"pid": pid, "exit_code": 0, "signal": None}
    if how == "SIGTERM":  # the run refused while shutting down never started
        assert not (tmp_path / "late").joinpath("output.txt").exists()


def test_malformed_requests_get_an_error_and_the_worker_carries_on(probe, tmp_path):
    good = run_request(tmp_path, "x", ["--exit", "0"])
    cases = [
        ("not json", None, "not a JSON line"),
        ("[1, 2]", None, "a request must be a JSON object"),
        (json.dumps({"op": "fly", "id": "f"}), "f", "unknown op: 'fly'"),
        (json.dumps({**good, "id": "m1", "argv": "--exit 0"}), "m1", "'argv' must be a list"),
        (json.dumps({k: v for k, v in {**good, "id": "m2"}.items() if k != "exit_status"}), "m2", "'exit_status' must be a str"),
        (json.dumps({**good, "id": "m3", "env": {"A": 1}}), "m3", "'env' must map strings to strings"),
        (json.dumps({**good, "id": "m4", "cwd": str(tmp_path / "nowhere")}), "m4", "cwd is not a directory"),
        (json.dumps({**good, "id": "m5", "output": str(tmp_path / "nowhere" / "out.txt")}), "m5", "cannot open output"),
    ]
    for line, rid, message in cases:
        probe.send(line)
        reply = probe.expect(lambda m: "error" in m)
        assert reply["id"] == rid and message in reply["error"], reply
    probe.send(good)
    assert probe.exited("x")["exit_code"] == 0


def test_a_python_without_the_libraries_says_which_import_failed(tmp_path):
    code = "import sys; sys.modules['pandas'] = None; from runforge_trainer.worker import main; sys.exit(main())"
    w = Worker(tmp_path, ["-c", code])
    reply = w.ready()
    assert reply["op"] == "error" and reply["error"].startswith("cannot import pandas: ")
    assert w.close() == 3


def test_preloading_torch_never_initialises_cuda_and_an_mlp_trains_after_the_fork(tmp_path):
    pytest.importorskip("torch")
    w = Worker(tmp_path, ["-m", "runforge_trainer.worker", "--preload-torch"])
    assert "torch" in w.ready()["preloaded"]
    w.send({"op": "ping"})
    assert w.expect(lambda m: m.get("op") == "pong")["cuda_initialized"] is False

    dataset = make_csv(tmp_path / "data.csv")
    summaries = []
    for name in ("cold", "warm"):
        run_dir = tmp_path / name
        run_dir.mkdir()
        argv = trainer_argv(run_dir, dataset, family="mlp")
        config = json.loads(argv[1])
        config["hyperparameters"] = {"epochs": 3, "hidden_sizes": [8]}
        argv[1] = json.dumps(config)
        if name == "cold":
            cold = subprocess.run([sys.executable, "-m", "runforge_trainer", *argv], cwd=tmp_path, env=run_env(), capture_output=True, timeout=REPLY_TIMEOUT_S)
            assert cold.returncode == 0, cold.stderr
        else:
            w.send(run_request(tmp_path, "mlp", argv, cwd=tmp_path))
            assert w.exited("mlp")["exit_code"] == 0, (tmp_path / "mlp" / "output.txt").read_text()
        summaries.append(read_json(run_dir / "summary.json"))
    assert summaries[0]["metrics"] == summaries[1]["metrics"]
    assert w.close() == 0
