"""What every result shares: the figure a result offers, named for `sim.plot.FIGURES`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Figure:
    """A figure a result offers: ``name`` is a key of `sim.plot.FIGURES`, drawn with
    ``FIGURES[name](result, **options)``."""

    name: str
    options: dict = field(default_factory=dict)
