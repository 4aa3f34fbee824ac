"""Negotiation models: each module holds a model's parameters, defaults and the kernel it drives."""

from sim.models.trajectory import Trajectory

MODELS = ("eum", "compromise", "median", "nbs", "alternating", "crisis")
"""Models `sim run --model` accepts."""

__all__ = ["MODELS", "Trajectory"]
