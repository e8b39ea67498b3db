"""`import runforge`: what a user's script sees, inside a run (RUNFORGE_RUN_DIR set) and outside."""
import json
import os
import subprocess
import sys

import pytest

import runforge
import runforge_helper
from runforge import metrics as metrics_module
from runforge_trainer import tokens as trainer_tokens

PYTHON_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


@pytest.fixture
def outside(monkeypatch):
    monkeypatch.delenv("RUNFORGE_RUN_DIR", raising=False)
    monkeypatch.delenv("RUNFORGE_PARAMS", raising=False)
    monkeypatch.setattr(metrics_module, "_step", 0)


@pytest.fixture
def run(tmp_path, monkeypatch):
    """A run folder as RunForge prepares it for a command (artifacts/ made), and the env it sets."""
    (tmp_path / "artifacts").mkdir()
    monkeypatch.setenv("RUNFORGE_RUN_DIR", str(tmp_path))
    monkeypatch.delenv("RUNFORGE_PARAMS", raising=False)
    monkeypatch.setattr(metrics_module, "_step", 0)
    return tmp_path


def points(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def without_time(records):
    for r in records:
        assert isinstance(r.pop("time"), float)
    return records


def test_params_parse_runforge_params(monkeypatch, outside):
    assert runforge.params() == {}
    monkeypatch.setenv("RUNFORGE_PARAMS", '{"lr": 0.01, "opt": "adam", "model": {"hidden": 64}}')
    got = runforge.params()
    assert got == {"lr": 0.01, "opt": "adam", "model": {"hidden": 64}}
    got["lr"] = 1  # a copy: the next call reads the environment again
    assert runforge.params()["lr"] == 0.01


def test_params_by_name_from_what_runforge_sets(monkeypatch, outside):
    """RunForge's form (src/run/run-params.ts): swept values by dot path, and the hyperparameters."""
    monkeypatch.setenv(
        "RUNFORGE_PARAMS",
        '{"swept": {"model.hyperparameters.lr": 0.01, "seed": 3}, "hyperparameters": {"lr": 0.01, "hidden": 64}}',
    )
    assert runforge.params() == {"lr": 0.01, "hidden": 64, "seed": 3}
    monkeypatch.setenv("RUNFORGE_PARAMS", '{"swept": {}, "hyperparameters": {}}')
    assert runforge.params() == {}


@pytest.mark.parametrize("text, message", [("{lr", "RUNFORGE_PARAMS is not valid JSON"), ("[1, 2]", "RUNFORGE_PARAMS must be a JSON object, got list")])
def test_params_refuse_what_is_not_a_json_object(monkeypatch, outside, text, message):
    monkeypatch.setenv("RUNFORGE_PARAMS", text)
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        runforge.params()


def test_outside_runforge_the_calls_only_print(outside, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = tmp_path / "model.pt"
    model.write_bytes(b"weights")
    assert runforge.run_dir() is None
    runforge.metric("loss", 0.5)
    runforge.metric("loss", 0.25, step=7)
    runforge.log_metrics({"loss": 0.125, "accuracy": 0.75})
    assert runforge.artifact(str(model), type="model") == str(model)
    runforge.summary(accuracy=0.75)
    assert capsys.readouterr().out.splitlines() == [
        "loss=0.5 (step 1)",
        "loss=0.25 (step 7)",
        "loss=0.125 (step 2)",
        "accuracy=0.75 (step 2)",
        f"artifact: {model} (model)",
        "summary: accuracy=0.75",
    ]
    assert sorted(os.listdir(tmp_path)) == ["model.pt"]  # nothing written


def test_metrics_are_metrics_jsonl_lines(run, capsys):
    runforge.metric("loss", 1, step=3, epoch=1)
    runforge.metric("loss", 0.5)
    runforge.log_metrics({"loss": 0.25, "accuracy": 0.9}, step=10, epoch=2)
    runforge.log_metrics({"loss": 0.125, "accuracy": 0.95})
    assert without_time(points(run)) == [
        {"step": 3, "name": "loss", "value": 1.0, "epoch": 1},
        {"step": 1, "name": "loss", "value": 0.5},
        {"step": 10, "name": "loss", "value": 0.25, "epoch": 2},
        {"step": 10, "name": "accuracy", "value": 0.9, "epoch": 2},
        {"step": 2, "name": "loss", "value": 0.125},
        {"step": 2, "name": "accuracy", "value": 0.95},
    ]
    assert capsys.readouterr().out == ""  # inside a run, metrics go to the file only


def test_a_line_is_byte_for_byte_what_the_helper_wrote(run, monkeypatch):
    """Keys in the order the TypeScript side and earlier helpers wrote them: step, name, value, time, epoch."""
    monkeypatch.setattr(metrics_module.time, "time", lambda: 1700000000.5)
    runforge.metric("loss", 0.5, step=2, epoch=1)
    runforge.summary(accuracy=0.9)
    assert (run / "metrics.jsonl").read_text() == (
        '{"step": 2, "name": "loss", "value": 0.5, "time": 1700000000.5, "epoch": 1}\n'
        '{"name": "accuracy", "value": 0.9, "time": 1700000000.5}\n'
    )


def test_summary_is_the_last_value_of_each_name_and_not_a_chart_point(run):
    runforge.metric("accuracy", 0.5, step=1)
    runforge.summary(accuracy=0.93, f1_score=0.9)
    last = {}
    for p in points(run):
        last[p["name"]] = p["value"]  # as lastMetricValues (src/run/files/trainer-output.ts) reads them
    assert last == {"accuracy": 0.93, "f1_score": 0.9}
    assert [p.get("step") for p in points(run)] == [1, None, None]


def test_tokens_on_stdout(run, capsys):
    runforge.stage("TRAINING")
    runforge.epoch(3, 10)
    runforge.progress(30, 100, "batches")
    runforge.progress(1, 4)
    assert capsys.readouterr().out.splitlines() == ["[RF:STAGE=TRAINING]", "[RF:EPOCH=3/10]", "[RF:PROGRESS=30/100 batches]", "[RF:PROGRESS=1/4 steps]"]


def test_artifact_is_copied_into_artifacts_and_its_type_recorded(run, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("work")
    (elsewhere / "model.pt").write_bytes(b"weights")
    assert runforge.artifact(str(elsewhere / "model.pt"), type="model") == "artifacts/model.pt"
    (run / "artifacts" / "curve.png").write_bytes(b"png")
    assert runforge.artifact(str(run / "artifacts" / "curve.png")) == "artifacts/curve.png"  # already there: not copied
    assert (run / "artifacts" / "model.pt").read_bytes() == b"weights"
    assert sorted(os.listdir(run / "artifacts")) == ["curve.png", "model.pt"]
    assert [json.loads(line) for line in (run / ".artifacts.jsonl").read_text().splitlines()] == [
        {"path": "artifacts/model.pt", "type": "model"},
        {"path": "artifacts/curve.png", "type": "other"},
    ]


def test_artifact_refuses_what_is_not_a_file(run):
    with pytest.raises(FileNotFoundError, match="no such artifact file: nope.pt"):
        runforge.artifact("nope.pt")
    with pytest.raises(IsADirectoryError):
        runforge.artifact(str(run))
    with pytest.raises(ValueError, match="artifact type must be a non-empty string"):
        runforge.artifact(__file__, type="")
    assert not (run / ".artifacts.jsonl").exists()


def test_one_implementation_behind_the_helper_and_the_trainer():
    for name in runforge.__all__:
        assert getattr(runforge_helper, name) is getattr(runforge, name)
    assert trainer_tokens.MetricsWriter is metrics_module.MetricsWriter
    assert trainer_tokens.epoch is runforge.epoch and trainer_tokens.stage is runforge.stage and trainer_tokens.progress is runforge.progress


def test_the_trainer_writer_writes_the_same_lines(tmp_path, monkeypatch):
    monkeypatch.setattr(metrics_module.time, "time", lambda: 5.0)
    trainer_tokens.MetricsWriter(str(tmp_path / "metrics.jsonl")).point("loss", 0.5, step=2, epoch_index=1)
    assert (tmp_path / "metrics.jsonl").read_text() == '{"step": 2, "name": "loss", "value": 0.5, "time": 5.0, "epoch": 1}\n'


def test_a_script_imports_it_from_pythonpath_as_runforge_runs_it(tmp_path):
    """As a job: python/ on PYTHONPATH (nothing installed), RUNFORGE_RUN_DIR and RUNFORGE_PARAMS set."""
    script = "import runforge, runforge_helper as rf; p = runforge.params(); runforge.epoch(1, 1); rf.metric('lr', p['lr'], step=1)"
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": PYTHON_DIR, "RUNFORGE_RUN_DIR": str(tmp_path), "RUNFORGE_PARAMS": '{"swept": {"model.hyperparameters.lr": 0.01}, "hyperparameters": {"lr": 0.01}}'}
    out = subprocess.run([sys.executable, "-c", script], cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=60)
    assert (out.returncode, out.stdout, out.stderr) == (0, "[RF:EPOCH=1/1]\n", "")
    assert without_time(points(tmp_path)) == [{"step": 1, "name": "lr", "value": 0.01}]
