"""Negotiation models. Each module that holds a model exports ``MODEL`` (see
:mod:`sim.models.base`); :data:`MODELS` collects them by name.

A new model is one module here (its ``Params``, ``run``, ``batch`` and summaries) and
one line below.
"""

from sim.models import (
    alternating,
    compromise,
    condorcet,
    crisis,
    eum,
    exchange,
    median,
    nbs,
    smp,
)
from sim.models.base import Model

MODELS: dict[str, Model] = {
    module.MODEL.name: module.MODEL
    for module in (eum, compromise, median, nbs, alternating, crisis, condorcet, smp, exchange)
}
"""The registry: every model `sim run --model` accepts, by name."""


def get(name: str) -> Model:
    """The model called ``name``; a ValueError lists the known ones."""
    try:
        return MODELS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown model {name!r}; expected one of: {', '.join(MODELS)}") from None
