"""An example of your own training script run by RunForge (a request with "command").

RunForge runs it in the workspace folder with RUNFORGE_RUN_DIR, RUNFORGE_WORKSPACE, RUNFORGE_DEVICE,
RUNFORGE_SEED and CUDA_VISIBLE_DEVICES set, and puts runforge_helper on PYTHONPATH. Two lines report
metrics: the import and rf.metric(...). The last value of each metric becomes the run's summary.
"""
import os
import random

import runforge_helper as rf

random.seed(int(os.environ.get("RUNFORGE_SEED", "42")))
epochs = 5
loss = 1.0
for epoch in range(1, epochs + 1):
    loss *= 0.6 + random.random() * 0.2
    rf.epoch(epoch, epochs)
    rf.metric("loss", loss, step=epoch, epoch=epoch)
    print(f"epoch {epoch}: loss {loss:.4f} on {os.environ.get('RUNFORGE_DEVICE', 'cpu')}", flush=True)
rf.metric("accuracy", 1.0 - loss / 2)
