"""RunForge's Python API, for your own training scripts and for the built-in trainer.

    import runforge

    p = runforge.params()                      # the run's parameters (RUNFORGE_PARAMS), {} outside RunForge
    for e in range(1, 11):
        runforge.epoch(e, 10)                  # [RF:EPOCH=e/10]
        runforge.log_metrics({"loss": 0.3, "accuracy": 0.9}, step=e)
    runforge.artifact("model.pt", type="model")
    runforge.summary(accuracy=0.93)            # result.json's summary.metrics

RunForge puts this package on PYTHONPATH and sets RUNFORGE_RUN_DIR for each run (`pip install ./python`
makes it importable elsewhere). Outside RunForge the calls only print."""
from .artifacts import artifact
from .context import params, run_dir
from .metrics import log_metrics, metric, summary
from .tokens import epoch, progress, stage

__all__ = ["artifact", "epoch", "log_metrics", "metric", "params", "progress", "run_dir", "stage", "summary"]
