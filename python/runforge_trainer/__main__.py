"""Entry point: `python -m runforge_trainer --config '<json>' --summary-out <file>`.

runforge (TypeScript) validates the request, merges the hyperparameters, picks the device, and passes
one JSON config: {family, hyperparameters, dataset_path, label_column, seed, device, run_dir,
max_rows, test_size}. The trainer prints RF tokens and log lines on stdout, appends metrics.jsonl,
writes artifacts, and writes a summary JSON ({metrics, primary_metric, artifacts, ...} or {error})
that runforge turns into result.json (and, for an error, the run's one `ERROR:` log line). Exit 0 on
success, 1 on a failure it could describe."""
import argparse
import json
import os
import sys
import traceback


def write_summary(path: str, summary: dict) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def artifact(run_dir: str, relative: str, kind: str) -> dict:
    return {"path": relative, "type": kind, "bytes": os.path.getsize(os.path.join(run_dir, relative))}


def fit(model, ds, family: str) -> None:
    """Fits; scikit-learn checks hyperparameter values only here, so a bad one is reported as such."""
    from .data import TrainerError

    try:
        from sklearn.utils._param_validation import InvalidParameterError
    except ImportError:  # older scikit-learn
        InvalidParameterError = ()
    try:
        model.fit(ds.X_train, ds.y_train)
    except InvalidParameterError as exc:
        raise TrainerError(f"Invalid hyperparameters for {family}: {exc}", "InvalidHyperparameters")


def train(config: dict) -> dict:
    import joblib

    from . import tokens
    from .data import load_dataset
    from .evaluate import classification_metrics

    run_dir = config["run_dir"]
    family = config["family"]
    seed = int(config.get("seed", 42))
    artifacts_dir = os.path.join(run_dir, "artifacts")
    os.makedirs(artifacts_dir, exist_ok=True)
    metrics_out = tokens.MetricsWriter(os.path.join(run_dir, "metrics.jsonl"))

    tokens.stage("LOADING_DATASET")
    ds = load_dataset(config["dataset_path"], config["label_column"], seed, float(config.get("test_size", 0.2)), config.get("max_rows"))
    tokens.log(
        f"Loaded {ds.n_rows} rows: {len(ds.numeric)} numeric and {len(ds.categorical)} categorical features, "
        f"{len(ds.label_encoder.classes_)} classes; {len(ds.y_train)} train / {len(ds.y_test)} test"
        + ("" if ds.stratified else " (not stratified: a class has fewer than 2 rows)")
    )

    tokens.stage("TRAINING")
    hp = dict(config.get("hyperparameters") or {})
    if family == "mlp":
        from .mlp import train_mlp

        model, prep, metrics = train_mlp(ds, hp, seed, config.get("device", "cpu"), metrics_out)
    else:
        from .sklearn_models import build

        model = build(family, hp, ds, seed)
        tokens.progress(0, 1, "fits")
        fit(model, ds, family)
        tokens.progress(1, 1, "fits")
        tokens.stage("EVALUATING")
        metrics = classification_metrics(ds.y_test, model.predict(ds.X_test))
        prep = None
    for name, value in metrics.items():
        if name != "loss" or family != "mlp":
            metrics_out.point(name, value, step=1)
    tokens.log("  ".join(f"{k}={v:.4f}" for k, v in metrics.items()))

    tokens.stage("WRITING_ARTIFACTS")
    artifacts = []
    if family == "mlp":
        import torch

        torch.save(model.state_dict(), os.path.join(artifacts_dir, "model.pt"))
        joblib.dump(prep, os.path.join(artifacts_dir, "preprocessor.pkl"))
        artifacts += [artifact(run_dir, "artifacts/model.pt", "model"), artifact(run_dir, "artifacts/preprocessor.pkl", "other")]
    else:
        joblib.dump(model, os.path.join(artifacts_dir, "model.pkl"))
        artifacts.append(artifact(run_dir, "artifacts/model.pkl", "model"))
    joblib.dump(ds.label_encoder, os.path.join(artifacts_dir, "label_encoder.pkl"))
    artifacts.append(artifact(run_dir, "artifacts/label_encoder.pkl", "encoder"))
    with open(os.path.join(artifacts_dir, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(metrics, f, indent=2)
    artifacts.append(artifact(run_dir, "artifacts/metrics.json", "metrics"))
    return {
        "metrics": metrics,
        "primary_metric": {"name": "accuracy", "value": metrics["accuracy"]},
        "artifacts": artifacts,
        "classes": [str(c) for c in ds.label_encoder.classes_],
        "rows": ds.n_rows,
    }


def main(argv=None) -> int:
    """Trains as `python -m runforge_trainer <argv>` would and returns the exit code instead of exiting
    (the warm worker calls it in a forked child). argv defaults to sys.argv[1:]."""
    parser = argparse.ArgumentParser(prog="runforge_trainer")
    parser.add_argument("--config", required=True, help="JSON config from runforge")
    parser.add_argument("--summary-out", required=True, help="where to write the summary JSON")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage error (2, message on stderr) or --help (0)
        return exc.code if isinstance(exc.code, int) else 1
    try:
        summary = train(json.loads(args.config))
        write_summary(args.summary_out, summary)
        return 0
    except Exception as exc:  # every failure ends in a summary that names it
        from .data import TrainerError

        error_type = exc.error_type if isinstance(exc, TrainerError) else type(exc).__name__
        message = str(exc) or type(exc).__name__
        # No `ERROR:` line here: runforge writes the one ERROR line of logs.txt from this summary when it
        # concludes the run (it did both, and the error appeared twice).
        write_summary(
            args.summary_out,
            {"error": {"message": message, "type": error_type, "traceback": None if isinstance(exc, TrainerError) else traceback.format_exc()}},
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
