"""The `mlp` family: a small PyTorch network trained for real epochs on the chosen device.
Hyperparameters: epochs, hidden_sizes, learning_rate, batch_size (and weight_decay, dropout)."""
import numpy as np

from .data import Dataset, TrainerError, preprocessor
from .evaluate import classification_metrics
from . import tokens


def train_mlp(ds: Dataset, hp: dict, seed: int, device_type: str, metrics: tokens.MetricsWriter):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    np.random.seed(seed)
    try:
        epochs = int(hp.get("epochs", 20))
        hidden = [int(h) for h in hp.get("hidden_sizes", [64, 32])]
        lr = float(hp.get("learning_rate", 0.001))
        batch_size = int(hp.get("batch_size", 32))
        weight_decay = float(hp.get("weight_decay", 0.0))
        dropout = float(hp.get("dropout", 0.0))
    except (TypeError, ValueError) as exc:
        raise TrainerError(f"Invalid hyperparameters for mlp: {exc}", "InvalidHyperparameters")
    if epochs < 1 or batch_size < 1 or lr <= 0 or any(h < 1 for h in hidden):
        raise TrainerError("Invalid hyperparameters for mlp: epochs, batch_size, hidden sizes and learning_rate must be positive", "InvalidHyperparameters")

    if device_type == "gpu" and torch.cuda.is_available():
        device = torch.device("cuda")
        tokens.log(f"Training on {torch.cuda.get_device_name(0)}")
    else:
        device = torch.device("cpu")
        torch.set_num_threads(1)
    prep = preprocessor(ds, scale=True)
    X_train = torch.tensor(np.asarray(prep.fit_transform(ds.X_train), dtype=np.float32), device=device)
    X_test = torch.tensor(np.asarray(prep.transform(ds.X_test), dtype=np.float32), device=device)
    y_train = torch.tensor(ds.y_train, dtype=torch.long, device=device)
    n_classes = len(ds.label_encoder.classes_)

    layers = []
    width = X_train.shape[1]
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = h
    layers.append(nn.Linear(width, n_classes))
    model = nn.Sequential(*layers).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)

    n = X_train.shape[0]
    for e in range(1, epochs + 1):
        model.train()
        order = torch.randperm(n, generator=generator).to(device)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(X_train[idx]), y_train[idx])
            loss.backward()
            optimizer.step()
            total += float(loss.item()) * len(idx)
        epoch_loss = total / n
        model.eval()
        with torch.no_grad():
            predictions = model(X_test).argmax(dim=1).cpu().numpy()
        val_accuracy = float((predictions == ds.y_test).mean())
        tokens.epoch(e, epochs)
        tokens.log(f"epoch {e}/{epochs} loss={epoch_loss:.4f} val_accuracy={val_accuracy:.4f}")
        metrics.point("loss", epoch_loss, step=e, epoch_index=e)
        metrics.point("val_accuracy", val_accuracy, step=e, epoch_index=e)

    tokens.stage("EVALUATING")
    with torch.no_grad():
        predictions = model(X_test).argmax(dim=1).cpu().numpy()
    result = classification_metrics(ds.y_test, predictions)
    result["loss"] = epoch_loss
    return model, prep, result
