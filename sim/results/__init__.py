"""Results as data: tidy tables, summaries (strict JSON), text and notebook display.

``runs`` (:class:`RunResult`: one run of eum or a baseline), ``bargaining``
(:class:`BargainResult`: one run of nbs, alternating or crisis), ``ensembles``
(:class:`EnsembleResult`) and ``base`` (`Figure`, the figures a result lists). What a
result writes, it lists with ``outputs()``; `sim.save.write` writes it.
"""

from sim.results.bargaining import BargainResult
from sim.results.ensembles import EnsembleResult
from sim.results.runs import RunResult

__all__ = ["BargainResult", "EnsembleResult", "RunResult"]
