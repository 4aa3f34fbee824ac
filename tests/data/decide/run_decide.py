"""Produce the decide_*.json runs with decide-exchange-model (run in decide's own venv).

Equal gain, 10 rounds. Without a seed random tie-breaking is off; with `--seed N` it is on
(decide's default) after `random.seed(N)`, unless `--no-ties`. `--p P`: the randomised equal
gain (`randomized_value`, passed as text as decide's CLI does, so decide makes it a Decimal;
its draws come from the same seeded `random`). Not used by sim or its tests.
"""

import json
import random
import shutil
import tempfile

from decide.data.modelfactory import ModelFactory
from decide.data.reader import InputDataFile
from decide.model import calculations, equalgain
from decide.model.observers.externalities import Externalities
from decide.model.observers.observer import Observable
from decide.model.utils import ModelLoop

equalgain.EqualGainModel.ALLOW_RANDOM = False


def _side(side):
    return {
        "actor": side.actor.name,
        "supply": side.supply.issue.name,
        "demand": side.demand.issue.name,
        "x": float(side.supply.position),
        "y": float(side.y),
        "move": float(side.move),
        "start": float(side.start_position),
    }


def _positions(model):
    return {
        issue.name: {a.name: float(ai.position) for a, ai in model.actor_issues[issue].items()}
        for issue in model.actor_issues
    }


class Recorder:
    """Collects what decide's observers see, as plain numbers."""

    def __init__(self, model):
        self.model = model
        self.rounds = []
        self.ext = []
        self.exchanges = []

    def before_loop(self, *args, **kwargs):
        pass

    def removed_exchanges(self, *args, **kwargs):
        pass

    def execute_exchange(self, exchange):
        self.ext.append(
            {
                a.name: float(calculations.actor_externalities(a, self.model, exchange))
                for a in self.model.actors
            }
        )

    def after_loop(self, realized, *args, **kwargs):
        self.exchanges = []
        for exchange, ext in zip(realized, self.ext, strict=True):
            self.exchanges.append(
                {
                    "gain": float(exchange.gain),
                    "dp": float(exchange.dp),
                    "dq": float(exchange.dq),
                    "i": _side(exchange.i),
                    "j": _side(exchange.j),
                    "externalities": ext,
                }
            )
        self.ext = []

    def end_loop(self, *args, **kwargs):
        nbs = {issue.name: float(value) for issue, value in self.model.nbs.items()}
        self.rounds.append(
            {"nbs": nbs, "voting": _positions(self.model), "exchanges": self.exchanges}
        )


def main(path, seed=None, outcomes_only=False, p=None, ties=None):
    equalgain.EqualGainModel.ALLOW_RANDOM = (seed is not None) if ties is None else ties
    if seed is not None:
        random.seed(seed)
    model = ModelFactory(InputDataFile.open(path))(
        model_klass=equalgain.EqualGainModel, randomized_value=p
    )
    recorder = Recorder(model)
    out_dir = tempfile.mkdtemp()
    events = Observable(model_ref=model, output_directory=out_dir)
    totals = Externalities(events)  # decide's own per-actor and per-issue-pair sums
    events.register(recorder)
    loop = ModelLoop(model, events, 0)
    model.calc_nbs()
    initial = {
        "nbs": {issue.name: float(value) for issue, value in model.nbs.items()},
        "position": _positions(model),
    }
    for _ in range(10):
        loop.loop()
        recorder.rounds[-1]["position"] = _positions(model)
        recorder.rounds[-1]["externality_totals"] = {
            "actor": {
                a.name: {k: float(v) for k, v in kinds.items()}
                for a, kinds in totals.actors.items()
            },
            "issue_pair": {
                f"{kinds['first'].name}-{kinds['second'].name}": {
                    k: float(v) for k, v in kinds.items() if k not in ("first", "second")
                }
                for kinds in totals.connections.values()
            },
        }
    shutil.rmtree(out_dir)
    out = {"initial": initial, "rounds": recorder.rounds, "ties": model.tie_count}
    if outcomes_only:
        # the expected outcomes, positions, voting positions and exchange count per round
        for rd in out["rounds"]:
            rd["exchanges"] = len(rd["exchanges"])
            del rd["externality_totals"]
    print(json.dumps(out, indent=1 if not outcomes_only else None))


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--p")
    parser.add_argument("--no-ties", action="store_true")
    parser.add_argument("--outcomes-only", action="store_true")
    a = parser.parse_args()
    main(a.path, a.seed, a.outcomes_only, a.p, False if a.no_ties else None)
