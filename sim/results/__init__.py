"""Result objects: tidy tables, summaries, files (written atomically) and notebook display.

The modules: ``runs`` (:class:`RunResult`, :func:`scenario_html`), ``ensembles``
(:class:`EnsembleResult`), ``bargaining`` (:class:`BargainResult`) and ``_files``
(:func:`write_atomic`, :func:`figure_bytes`).
"""

from sim.results._files import figure_bytes, write_atomic
from sim.results.bargaining import BARGAINING_MODELS, BargainResult
from sim.results.ensembles import PERCENTILES, EnsembleResult
from sim.results.runs import RunResult, scenario_html

__all__ = [
    "BARGAINING_MODELS",
    "PERCENTILES",
    "BargainResult",
    "EnsembleResult",
    "RunResult",
    "figure_bytes",
    "scenario_html",
    "write_atomic",
]
