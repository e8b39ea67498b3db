"""What the worker loads once, before it forks any run: the libraries and the trainer's modules, and
what the libraries load lazily on first use (a warm-up training of each scikit-learn family)."""
import importlib
import io
import json
import os

BASE_MODULES = ["numpy", "pandas", "sklearn", "joblib"]
# The trainer's modules (its tokens and metrics are the `runforge` package's), and the parts of
# scikit-learn it imports lazily during a run.
TRAINER_MODULES = [
    "runforge",
    "runforge_trainer.__main__",
    "runforge_trainer.data",
    "runforge_trainer.evaluate",
    "runforge_trainer.sklearn_models",
    "runforge_trainer.tokens",
    "runforge_trainer.mlp",
    "sklearn.utils._param_validation",
]
# Never torch.cuda: a CUDA context does not survive fork.
TORCH_MODULES = ["torch", "torch.nn", "torch.optim"]


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

    from ..__main__ import main as train_main

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
