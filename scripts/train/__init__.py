"""Helpers for scripts/train_examples.py: PyTorch networks written exactly as docs/model-format.md
describes them, task generators, and the writers for the project's model / safetensors files."""
