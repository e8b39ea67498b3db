"""The helper of earlier releases, kept for scripts that `import runforge_helper as rf`: the same calls
as `import runforge` (which see), from the same implementation.

    import runforge_helper as rf
    rf.metric("loss", 0.42, step=3)          # a point in metrics.jsonl (charts, summary)

and rf.epoch(3, 10), rf.progress(30, 100, "batches"), rf.stage("EVALUATING")."""
from runforge import artifact, epoch, log_metrics, metric, params, progress, run_dir, stage, summary

__all__ = ["artifact", "epoch", "log_metrics", "metric", "params", "progress", "run_dir", "stage", "summary"]
