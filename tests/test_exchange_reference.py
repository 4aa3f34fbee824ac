"""The plain-loop exchange-model reference reproduces decide-exchange-model on its sample data.

decide's outputs (tests/data/decide/decide_equal_p0_10rounds.json, see the README there) come
from runs of decide 2022.1.28: equal gain, no randomisation (p = 0), 10 rounds, random
tie-breaking off and (seed 1) on.
"""

import json
from pathlib import Path

import pytest

from tests.reference_exchange import exchange_run, read_decide_file

DATA = Path(__file__).parent / "data" / "decide"
TOL = 1e-6

ROUNDS = [pytest.param(n, id=f"round{n}") for n in range(1, 11)]


@pytest.fixture(scope="module")
def decide():
    return json.loads((DATA / "decide_equal_p0_10rounds.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def reference():
    return exchange_run(*read_decide_file(DATA / "sample_data.txt"), rounds=10)


def test_sample_input_read(decide):
    """The reader gives decide's initial expected outcomes and 0-100 positions."""
    actors, issues, position, salience, power, lower, upper = read_decide_file(
        DATA / "sample_data.txt"
    )
    assert len(actors) == 10 and len(issues) == 6
    result = exchange_run(actors, issues, position, salience, power, lower, upper, rounds=0)
    for issue, value in decide["initial"]["nbs"].items():
        assert result["initial"]["nbs"][issue] == pytest.approx(value, abs=TOL)
    for issue, row in decide["initial"]["position"].items():
        for actor, value in row.items():
            assert result["initial"]["position"][issue][actor] == pytest.approx(value, abs=TOL)


@pytest.mark.parametrize("n", ROUNDS)
def test_expected_outcome_each_round(decide, reference, n):
    """The expected outcome of every issue after round n equals decide's."""
    want = decide["rounds"][n - 1]["nbs"]
    got = reference["rounds"][n - 1]["nbs"]
    for issue, value in want.items():
        assert got[issue] == pytest.approx(value, abs=TOL), issue


@pytest.mark.parametrize("n", ROUNDS)
def test_positions_each_round(decide, reference, n):
    """Every actor's voting and next-round position after round n equals decide's."""
    for key in ("voting", "position"):
        want = decide["rounds"][n - 1][key]
        got = reference["rounds"][n - 1][key]
        for issue, row in want.items():
            for actor, value in row.items():
                assert got[issue][actor] == pytest.approx(value, abs=TOL), (key, issue, actor)


@pytest.mark.parametrize("n", ROUNDS)
def test_realised_exchanges_each_round(decide, reference, n):
    """Round n realises decide's exchanges in decide's order, with its moves, gains and
    externalities."""
    want = decide["rounds"][n - 1]["exchanges"]
    got = reference["rounds"][n - 1]["exchanges"]
    ext = reference["rounds"][n - 1]["externalities"]
    assert len(got) == len(want)
    for k, (w, g) in enumerate(zip(want, got, strict=True)):
        for side in ("i", "j"):
            for field in ("actor", "supply", "demand"):
                assert g[side][field] == w[side][field], (k, side, field)
            for field in ("x", "y", "move", "start"):
                assert g[side][field] == pytest.approx(w[side][field], abs=TOL), (k, side, field)
        for field in ("gain", "dp", "dq"):
            assert g[field] == pytest.approx(w[field], abs=TOL), (k, field)
        for actor, value in w["externalities"].items():
            assert ext[k][actor]["raw"] == pytest.approx(value, abs=TOL), (k, actor)


@pytest.mark.parametrize("n", ROUNDS)
def test_externality_totals_each_round(decide, reference, n):
    """Round n's externalities summed per actor and per issue pair, split into own, inner and
    outer, positive and negative, equal decide's."""
    want = decide["rounds"][n - 1]["externality_totals"]
    got = reference["rounds"][n - 1]["externality_totals"]
    for level in ("actor", "issue_pair"):
        assert set(got[level]) == set(want[level]), level
        for key, kinds in want[level].items():
            for kind, value in kinds.items():
                assert got[level][key].get(kind, 0.0) == pytest.approx(value, abs=TOL), (
                    level,
                    key,
                    kind,
                )


def test_first_exchange_of_round_one_by_hand():
    """Round 1's best exchange, worked by hand from the equal-gain formulas: Wcentr gives way on
    tolheffing-binnenstad, Willems on extra-investering (75 points, to Wcentr's 100)."""
    result = exchange_run(*read_decide_file(DATA / "sample_data.txt"), rounds=1)
    first = result["rounds"][0]["exchanges"][0]
    actors, _issues, _position, salience, power, _lower, _upper = read_decide_file(
        DATA / "sample_data.txt"
    )
    salience = {k: float(v) for k, v in salience.items()}
    power = {k: float(v) for k, v in power.items()}
    p, q = "tolheffing-binnenstad", "extra-investering"
    den_p = sum(salience[(a, p)] * power[(a, p)] for a in actors)
    den_q = sum(salience[(a, q)] * power[(a, q)] for a in actors)
    # Willems moves the full distance to Wcentr's position on q: |100 - 25| = 75.
    dq = 75 * salience[("Willems", q)] * power[("Willems", q)] / den_q
    # equal gain: dp * (s_Willems,p + s_Wcentr,p) = dq * (s_Willems,q + s_Wcentr,q)
    dp = (
        dq
        * (salience[("Willems", q)] + salience[("Wcentr", q)])
        / (salience[("Willems", p)] + salience[("Wcentr", p)])
    )
    move_wcentr = dp * den_p / (salience[("Wcentr", p)] * power[("Wcentr", p)])
    gain = abs(dq * salience[("Willems", q)] - dp * salience[("Willems", p)])
    assert first["i"]["actor"] == "Willems" and first["j"]["actor"] == "Wcentr"
    assert first["i"]["move"] == pytest.approx(75.0)
    assert first["j"]["move"] == pytest.approx(move_wcentr)
    assert first["gain"] == pytest.approx(gain)
    assert gain == pytest.approx(abs(dp * salience[("Wcentr", p)] - dq * salience[("Wcentr", q)]))


def test_random_tie_breaking_follows_decide():
    """With a seed, near-equal gains are settled by a coin as decide does with its random
    tie-breaking on; every round's outcomes, positions and exchange count match decide's."""
    want = json.loads((DATA / "decide_equal_p0_10rounds_seed1.json").read_text(encoding="utf-8"))
    assert want["ties"] > 0
    got = exchange_run(*read_decide_file(DATA / "sample_data.txt"), rounds=10, seed=1)
    for n, (w, g) in enumerate(zip(want["rounds"], got["rounds"], strict=True), start=1):
        assert len(g["exchanges"]) == len(w["exchanges"]), n
        for issue, value in w["nbs"].items():
            assert g["nbs"][issue] == pytest.approx(value, abs=TOL), (n, issue)
        for issue, row in w["position"].items():
            for actor, value in row.items():
                assert g["position"][issue][actor] == pytest.approx(value, abs=TOL), (n, actor)


def test_only_equal_gain_without_randomisation():
    """Variants the reference does not implement are refused, not silently run."""
    args = read_decide_file(DATA / "sample_data.txt")
    with pytest.raises(NotImplementedError):
        exchange_run(*args, rounds=1, model="random")
    with pytest.raises(NotImplementedError):
        exchange_run(*args, rounds=1, p=0.5)
