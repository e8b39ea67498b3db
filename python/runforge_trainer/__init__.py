"""RunForge's built-in trainer: scikit-learn families and a PyTorch MLP, driven by `runforge run`."""
