"""A small PyTorch MLP on scikit-learn's digits (8x8 images of 0-9; bundled with scikit-learn, nothing
to download), written as your own training script would be. Run it alone, or through RunForge:

    runforge add -- python examples/digits/train.py --lr 0.01 --hidden 64
    runforge enqueue-sweep --grid lr=0.1,0.01 --grid hidden=32,128 -- \\
        python examples/digits/train.py --lr {lr} --hidden {hidden}

RunForge runs it with its `python/` folder on PYTHONPATH, so `import runforge` works unchanged; outside
RunForge (`pip install ./python`) the calls only print. What it reports: `train_loss`,
`val_loss` and `val_accuracy` each epoch (charts; the last value of each lands in result.json), a
summary at the end (`accuracy`, the final validation accuracy, ranks the runs of a sweep), and the
trained weights as a `model` artifact.

Needs torch and scikit-learn in the Python that runs it (your venv's, or Debian's /usr/bin/python3)."""
from __future__ import annotations

import argparse
import os
import time
from typing import Any, Dict, List, Optional, Tuple

import runforge
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="An MLP on scikit-learn's digits, reporting to RunForge.")
    parser.add_argument("--lr", type=float, default=0.01, help="Adam's learning rate (default 0.01)")
    parser.add_argument("--hidden", type=int, default=64, help="units of the hidden layer (default 64)")
    parser.add_argument("--epochs", type=int, default=10, help="passes over the training data (default 10)")
    parser.add_argument("--batch-size", type=int, default=64, help="examples per step (default 64)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("RUNFORGE_SEED", "0")),
                        help="split and initialisation seed (default: the run's RUNFORGE_SEED, else 0)")
    # A plan that sweeps e.g. model.hyperparameters.lr without putting {lr} in the command still
    # reaches the script: the run's parameters (RUNFORGE_PARAMS) are the defaults; arguments win.
    known = {action.dest for action in parser._actions}
    parser.set_defaults(**{name: value for name, value in runforge.params().items() if name in known})
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.hidden < 1 or args.batch_size < 1 or args.lr <= 0:
        parser.error("--epochs, --hidden and --batch-size must be at least 1, --lr above 0")
    return args


def pick_device() -> torch.device:
    """The device RunForge gave the run: RUNFORGE_DEVICE says cpu or gpu, and CUDA_VISIBLE_DEVICES shows
    only the GPU(s) it reserved, so `cuda` is the first of them. Outside RunForge: a GPU if there is one."""
    if os.environ.get("RUNFORGE_DEVICE") == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda")


def load_data(seed: int, device: torch.device) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """1,797 digits split 80/20 (stratified), pixels scaled to [0, 1]; small enough to live on the device."""
    digits = load_digits()
    x_train, x_val, y_train, y_val = train_test_split(
        digits.data / 16.0, digits.target, test_size=0.2, random_state=seed, stratify=digits.target)

    def to(a: Any, dtype: torch.dtype) -> torch.Tensor:
        return torch.tensor(a, dtype=dtype, device=device)

    return to(x_train, torch.float32), to(y_train, torch.long), to(x_val, torch.float32), to(y_val, torch.long)


def train_epoch(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
                batch_size: int) -> float:
    """One pass in a shuffled order; the mean training loss."""
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    order = torch.randperm(len(x), device=x.device)
    total = 0.0
    for start in range(0, len(x), batch_size):
        batch = order[start:start + batch_size]
        optimizer.zero_grad()
        loss = loss_fn(model(x[batch]), y[batch])
        loss.backward()
        optimizer.step()
        total += loss.item() * len(batch)
    return total / len(x)


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> Tuple[float, float]:
    """Validation loss and accuracy."""
    model.eval()
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, y).item()
    accuracy = (logits.argmax(dim=1) == y).float().mean().item()
    return loss, accuracy


def save_model(model: nn.Module) -> None:
    """Saved straight into the run's artifacts/ folder (so runs of a sweep sharing a working folder do
    not overwrite each other's), else into the current folder."""
    run_dir = runforge.run_dir()
    folder = os.path.join(run_dir, "artifacts") if run_dir else "."
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.pt")
    torch.save(model.state_dict(), path)
    runforge.artifact(path, type="model")


def main(argv: Optional[List[str]] = None) -> Dict[str, float]:
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    device = pick_device()
    x_train, y_train, x_val, y_val = load_data(args.seed, device)
    model = nn.Sequential(nn.Linear(64, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 10)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    print(f"digits: {len(x_train)} train / {len(x_val)} val on {device}; lr={args.lr} hidden={args.hidden} "
          f"epochs={args.epochs} seed={args.seed}", flush=True)

    started = time.monotonic()
    best = 0.0
    for epoch in range(1, args.epochs + 1):
        runforge.epoch(epoch, args.epochs)
        train_loss = train_epoch(model, optimizer, x_train, y_train, args.batch_size)
        val_loss, val_accuracy = evaluate(model, x_val, y_val)
        best = max(best, val_accuracy)
        runforge.log_metrics({"train_loss": train_loss, "val_loss": val_loss, "val_accuracy": val_accuracy},
                             step=epoch, epoch=epoch)
        print(f"epoch {epoch}/{args.epochs}: train_loss {train_loss:.4f} val_accuracy {val_accuracy:.4f}", flush=True)

    save_model(model)
    # Named `accuracy`, the summary's validation accuracy is the metric RunForge ranks runs by when
    # nothing names one (leaderboards, `groups show`); `runforge add` has no --metric to say otherwise.
    final = {"accuracy": val_accuracy, "best_val_accuracy": best, "train_loss": train_loss,
             "train_seconds": round(time.monotonic() - started, 3)}
    runforge.summary(**final)
    return final


if __name__ == "__main__":
    main()
