"""The built-in trainer, run for real on small generated datasets."""
import json
import os
import random

import pytest

from runforge_trainer.__main__ import main


def make_csv(path, rows=240, seed=0, missing=True, categorical=True, label_values=("no", "yes")):
    rng = random.Random(seed)
    lines = ["x1,x2,color,label"]
    for i in range(rows):
        cls = i % 2
        x1 = rng.gauss(2.5 if cls else -2.5, 1.0)
        x2 = rng.gauss(-1.0 if cls else 1.0, 1.0)
        color = ("red" if cls else "blue") if rng.random() < 0.8 else "green"
        x1s = "" if missing and rng.random() < 0.1 else f"{x1:.4f}"
        colors = "" if missing and rng.random() < 0.1 else color
        if not categorical:
            colors = "0"
        lines.append(f"{x1s},{x2:.4f},{colors},{label_values[cls]}")
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def run_trainer(tmp_path, family, hyperparameters=None, dataset=None, label="label", seed=42, device="cpu"):
    run_dir = tmp_path / f"run-{family}-{seed}"
    run_dir.mkdir(exist_ok=True)
    summary_path = run_dir / "summary.json"
    config = {
        "family": family,
        "hyperparameters": hyperparameters or {},
        "dataset_path": dataset or make_csv(tmp_path / "data.csv"),
        "label_column": label,
        "seed": seed,
        "device": device,
        "run_dir": str(run_dir),
        "test_size": 0.2,
    }
    code = main(["--config", json.dumps(config), "--summary-out", str(summary_path)])
    return code, json.loads(summary_path.read_text()), run_dir


@pytest.mark.parametrize(
    "family,hp",
    [
        ("logistic_regression", {"max_iter": 1000}),
        ("random_forest", {"n_estimators": 30, "max_depth": 5}),
        ("linear_svc", {"max_iter": 2000}),
        ("mlp", {"epochs": 15, "hidden_sizes": [16], "learning_rate": 0.01, "batch_size": 16}),
    ],
)
def test_each_family_learns_a_learnable_dataset_with_missing_values_and_categories(tmp_path, family, hp, capsys):
    code, summary, run_dir = run_trainer(tmp_path, family, hp)
    assert code == 0, summary
    assert summary["metrics"]["accuracy"] > 0.85
    assert set(["accuracy", "precision", "recall", "f1_score"]) <= set(summary["metrics"])
    assert summary["primary_metric"] == {"name": "accuracy", "value": summary["metrics"]["accuracy"]}
    assert summary["classes"] == ["no", "yes"]
    paths = {a["path"]: a for a in summary["artifacts"]}
    assert "artifacts/metrics.json" in paths and "artifacts/label_encoder.pkl" in paths
    assert any(a["type"] == "model" and a["bytes"] > 0 for a in summary["artifacts"])
    for a in summary["artifacts"]:
        assert os.path.getsize(run_dir / a["path"]) == a["bytes"]
    out = capsys.readouterr().out.splitlines()
    stages = [line for line in out if line.startswith("[RF:STAGE=")]
    assert stages == ["[RF:STAGE=LOADING_DATASET]", "[RF:STAGE=TRAINING]", "[RF:STAGE=EVALUATING]", "[RF:STAGE=WRITING_ARTIFACTS]"]
    points = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert {"step", "name", "value", "time"} <= set(points[0])
    if family == "mlp":
        epochs = [line for line in out if line.startswith("[RF:EPOCH=")]
        assert epochs == [f"[RF:EPOCH={i}/15]" for i in range(1, 16)]
        losses = [p for p in points if p["name"] == "loss"]
        assert [p["epoch"] for p in losses] == list(range(1, 16))
        assert losses[-1]["value"] < losses[0]["value"]


@pytest.mark.parametrize("family", ["logistic_regression", "random_forest", "mlp"])
def test_a_fixed_seed_gives_the_same_metrics(tmp_path, family):
    hp = {"epochs": 5} if family == "mlp" else {}
    dataset = make_csv(tmp_path / "d.csv", seed=3)
    runs = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        runs.append(run_trainer(tmp_path / name, family, hp, dataset=dataset, seed=7)[1])
    assert runs[0]["metrics"] == runs[1]["metrics"]


@pytest.mark.parametrize(
    "setup,error_type,message",
    [
        (lambda p: {"label": "missing_col"}, "InvalidDataset", "Label column 'missing_col' not found in the dataset (columns: x1, x2, color, label)"),
        (lambda p: {"dataset": str(p / "nope.csv")}, "MissingFiles", "Dataset not found: "),
        (lambda p: {"hyperparameters": {"bogus": 1}}, "InvalidHyperparameters", "Unknown hyperparameter(s) for logistic_regression: bogus"),
        (lambda p: {"hyperparameters": {"C": -1}}, "InvalidHyperparameters", "Invalid hyperparameters for logistic_regression: The 'C' parameter"),
        (lambda p: {"dataset": _write(p / "one.csv", "a,label\n1,x\n2,x\n3,x\n4,x\n5,x\n")}, "InvalidDataset", "single class"),
        (lambda p: {"dataset": _write(p / "empty.csv", "")}, "InvalidDataset", "Dataset is empty"),
    ],
)
def test_every_failure_ends_in_a_summary_naming_it(tmp_path, setup, error_type, message):
    args = setup(tmp_path)
    code, summary, _ = run_trainer(
        tmp_path,
        "logistic_regression",
        hyperparameters=args.get("hyperparameters"),
        dataset=args.get("dataset"),
        label=args.get("label", "label"),
    )
    assert code == 1
    assert summary["error"]["type"] == error_type
    assert message in summary["error"]["message"]


def _write(path, text):
    path.write_text(text)
    return str(path)


def test_text_labels_and_a_class_too_small_to_stratify(tmp_path):
    rows = ["f,label"] + [f"{i},{'a' if i % 2 else 'b'}" for i in range(40)] + ["100,rare"]
    code, summary, _ = run_trainer(tmp_path, "random_forest", {"n_estimators": 10}, dataset=_write(tmp_path / "r.csv", "\n".join(rows)))
    assert code == 0
    assert summary["classes"] == ["a", "b", "rare"]


def test_the_helper_writes_metrics_for_custom_scripts(tmp_path, monkeypatch, capsys):
    import runforge_helper as rf

    monkeypatch.setenv("RUNFORGE_RUN_DIR", str(tmp_path))
    rf.metric("loss", 0.5, step=1, epoch=1)
    rf.metric("loss", 0.25)
    rf.epoch(1, 2)
    rf.progress(3, 10, "batches")
    points = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [(p["name"], p["value"], p["step"]) for p in points] == [("loss", 0.5, 1), ("loss", 0.25, 1)]
    assert points[0]["epoch"] == 1
    assert capsys.readouterr().out.splitlines() == ["[RF:EPOCH=1/2]", "[RF:PROGRESS=3/10 batches]"]
