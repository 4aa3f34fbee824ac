"""The scenario schema: pydantic v2 models with unknown keys rejected.

Structure (types, ranges, required fields) is checked here by pydantic; the
cross-references between sections (issue ids used by actors, bloc members,
positions inside scales and red lines) are checked in :mod:`sim.scenario.checks`
so that every problem can be reported with the path of the field at fault.
"""

from __future__ import annotations

import datetime as _dt
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict

from sim.scenario import limits
from sim.scenario.display import scenario_html


def id_problem(value: str) -> str | None:
    """What breaks the identifier rule in ``value``, or None if it is a valid id.

    An id is 1 to 64 characters, none of them a dot (dots separate the parts of a
    ``--set`` path), ``=`` (it ends the path), ``,`` (it separates lists of ids on the
    command line) or whitespace, and none a control, format, surrogate, private-use
    or unassigned character or a separator (Unicode categories Cc, Cf, Cs, Co, Cn,
    Zs, Zl, Zp: C0 and C1 controls, DEL, bidirectional overrides, zero-width
    characters).
    """
    if not value:
        return "expected 1 to 64 characters, got an empty id"
    if len(value) > limits.MAX_ID_LENGTH:
        return f"expected at most {limits.MAX_ID_LENGTH} characters, got {len(value):,}"
    for ch in value:
        if ch in ".=,":
            return f"an id may not hold {ch!r}"
        if ch.isspace() or unicodedata.category(ch) in _ID_FORBIDDEN:
            return f"an id may not hold whitespace or invisible characters (found {_char(ch)})"
    return None


ID_RULE = (
    "1 to 64 characters, none of them a dot, '=', ',', whitespace or a control, "
    "format or invisible character"
)
"""The identifier rule in words, for messages."""

_ID_FORBIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _char(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def _short(value: str) -> str:
    text = repr(value[:60])
    return text if len(text) <= 60 else text[:57] + "..."


def _check_id(value: str) -> str:
    problem = id_problem(value)
    if problem is not None:
        raise ValueError(f"bad id {_short(value)}: {problem}; an id is {ID_RULE}")
    return value


def _text_problem(value: str, limit: int, keep: str) -> str | None:
    if len(value) > limit:
        return f"expected at most {limit:,} characters, got {len(value):,}"
    for ch in value:
        if ch in keep:
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs") or ch in _BIDI:
            what = "a bidirectional override" if ch in _BIDI else "a control character"
            allowed = " (tab and newline are allowed)" if keep else ""
            return f"expected printable text, found {what} {_char(ch)}{allowed}"
    return None


def _checker(limit: int, keep: str):
    def check(value: str) -> str:
        problem = _text_problem(value, limit, keep)
        if problem is not None:
            raise ValueError(problem)
        return value

    return check


Id = Annotated[str, AfterValidator(_check_id)]
"""An identifier (see :func:`id_problem`)."""
Name = Annotated[str, AfterValidator(_checker(limits.MAX_NAME_LENGTH, ""))]
"""A name or label: printable text of at most 200 characters, on one line."""
Text = Annotated[str, AfterValidator(_checker(limits.MAX_TEXT_LENGTH, "\t\n"))]
"""Free text (descriptions, notes, sources, reasons): at most 10,000 characters."""

Finite = Annotated[float, Strict(), Field(allow_inf_nan=False)]
Magnitude = Annotated[
    float,
    Strict(),
    Field(ge=-limits.MAX_MAGNITUDE, le=limits.MAX_MAGNITUDE, allow_inf_nan=False),
]
"""A point on an issue: a scale end, position, status quo or red-line end."""
Salience = Annotated[float, Strict(), Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Positive = Annotated[float, Strict(), Field(gt=0.0, allow_inf_nan=False)]
Capability = Annotated[
    float,
    Strict(),
    Field(ge=limits.MIN_CAPABILITY, le=limits.MAX_CAPABILITY, allow_inf_nan=False),
]
Range = tuple[Magnitude, Magnitude]
NonNegativeCost = Annotated[float, Strict(), Field(ge=0.0, le=limits.MAX_COST, allow_inf_nan=False)]
CostBound = Annotated[
    float, Strict(), Field(ge=-limits.MAX_COST, le=limits.MAX_COST, allow_inf_nan=False)
]
Payoff = Annotated[
    float, Strict(), Field(ge=-limits.MAX_PAYOFF, le=limits.MAX_PAYOFF, allow_inf_nan=False)
]


def plural(n: int, word: str) -> str:
    """``"1 bloc"``, ``"2 blocs"``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class FrozenDict(dict):
    """A dict that cannot change: the tables inside a frozen `Scenario`."""

    def _readonly(self, *args, **kwargs):
        raise TypeError("a Scenario is frozen; load it again with overrides to change it")

    __setitem__ = __delitem__ = __ior__ = _readonly
    clear = pop = popitem = setdefault = update = _readonly

    def __reduce__(self):
        return (FrozenDict, (dict(self),))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __hash__(self):
        return hash(tuple(self.items()))


_freeze = AfterValidator(FrozenDict)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ScenarioInfo(_Strict):
    """The `[scenario]` table: what the file describes and where its facts come from."""

    name: Annotated[Name, Field(min_length=1)]
    date: _dt.date | None = None
    description: Text = ""
    sources: Annotated[tuple[Text, ...], Field(max_length=limits.MAX_SOURCES)] = ()
    notes: Text = ""


class Issue(_Strict):
    """One `[[issues]]` entry: a dimension of the negotiation with its own scale."""

    id: Id
    name: Name = ""
    low: Name = ""
    high: Name = ""
    scale: Range
    status_quo: Magnitude | None = None

    @property
    def width(self) -> float:
        return self.scale[1] - self.scale[0]


class Actor(_Strict):
    """One `[actors.ID]` table: a state or organisation that acts on its own."""

    name: Name = ""
    capability: Capability
    position: Annotated[dict[Id, Magnitude], _freeze]
    salience: Annotated[dict[Id, Salience], _freeze]
    red_line: Annotated[dict[Id, Range], _freeze] = Field(default_factory=FrozenDict)
    reason: Annotated[dict[Id, Text], _freeze] = Field(default_factory=FrozenDict)


class Bloc(_Strict):
    """One `[blocs.ID]` table: a group of actors that may speak as one party.

    A bloc is not an extra actor: its capability is its members' sum, its
    acceptable range under ``consensus`` the intersection of its members' red lines.
    ``position`` and ``salience`` are the bloc's declared line, used where the bloc
    speaks as one party.
    """

    name: Name = ""
    members: Annotated[tuple[Id, ...], Field(min_length=1, max_length=limits.MAX_MEMBERS)]
    rule: Literal["consensus", "majority", "qualified_majority"] = "consensus"
    position: Annotated[dict[Id, Magnitude], _freeze] = Field(default_factory=FrozenDict)
    salience: Annotated[dict[Id, Salience], _freeze] = Field(default_factory=FrozenDict)
    red_line: Annotated[dict[Id, Range], _freeze] = Field(default_factory=FrozenDict)
    reason: Annotated[dict[Id, Text], _freeze] = Field(default_factory=FrozenDict)


MODEL_KINDS = (
    "eum", "compromise", "median", "nbs", "alternating", "crisis", "condorcet", "smp",
    "exchange",
)  # fmt: skip


class ModelSection(_Strict):
    """The `[model]` table: which model `sim run` uses and its parameters."""

    kind: Literal[
        "eum", "compromise", "median", "nbs", "alternating", "crisis", "condorcet", "smp",
        "exchange",
    ] = "eum"  # fmt: skip
    rounds: Annotated[int, Strict(), Field(ge=0, le=limits.MAX_ROUNDS)] = 30
    Q: Annotated[float, Strict(), Field(ge=0.0, le=1.0, allow_inf_nan=False)] = 1.0
    T: Annotated[float, Strict(), Field(ge=0.0, le=1.0, allow_inf_nan=False)] = 1.0


RiskValue = (
    Literal["computed"] | Annotated[float, Strict(), Field(gt=0.0, le=10.0, allow_inf_nan=False)]
)


Discount = Annotated[float, Strict(), Field(gt=0.0, le=1.0, allow_inf_nan=False)]
OutsideOption = (
    Literal["war"]
    | Annotated[float, Strict(), Field(ge=limits.MIN_OUTSIDE_OPTION, le=1.0, allow_inf_nan=False)]
)


class Payoffs(_Strict):
    """The `[payoffs]` table.

    ``risk``: the expected-utility model's risk exponents. ``"computed"`` (the
    default) lets the model derive them each round from the actors' security;
    a number fixes every actor's exponent; a table ``{ RUS = 1.5 }`` fixes the
    listed actors and leaves the rest computed.

    ``utility``: the utility of a point over all issues for the bargaining
    models, ``u_i(x) = 1 - sum_k sbar_ik (|x_k - p_ik| / D_k) ** gamma`` with
    gamma 1 (``"linear"``) or 2 (``"quadratic"``).

    ``discount``: a party's discount factor per round in (0, 1], one number for
    every party or a table by actor or bloc id (1 where not given).

    ``outside_option``: a party's disagreement value, by actor or bloc id: a
    utility, or ``"war"`` for the value of the `[crisis]` war lottery. Parties not
    listed fall back on the status quo.
    """

    risk: RiskValue | Annotated[dict[Id, RiskValue], _freeze] = "computed"
    utility: Literal["linear", "quadratic"] = "linear"
    discount: Discount | Annotated[dict[Id, Discount], _freeze] = 1.0
    outside_option: Annotated[dict[Id, OutsideOption], _freeze] = Field(default_factory=FrozenDict)

    @property
    def gamma(self) -> float:
        return 1.0 if self.utility == "linear" else 2.0


STRATEGY_PRESETS = {
    "hard_line": ("hard_line", 1.0),
    "boulware": ("time_based", 0.2),
    "linear": ("time_based", 1.0),
    "conceder": ("time_based", 5.0),
    "tit_for_tat": ("tit_for_tat", 1.0),
}
"""Named strategies: kind and parameter (concession exponent or reciprocity factor)."""


class Strategy(_Strict):
    """A negotiator's strategy in alternating offers.

    ``time_based``: concede from the best point to the reservation value as
    ``(t / T) ** (1 / exponent)`` (exponent < 1 Boulware, 1 linear, > 1 conceder).
    ``tit_for_tat``: concede ``factor`` times what the other side conceded last.
    ``hard_line``: never concede.
    """

    kind: Literal["hard_line", "time_based", "tit_for_tat"]
    exponent: Positive = 1.0
    factor: Annotated[float, Strict(), Field(ge=0.0, le=10.0, allow_inf_nan=False)] = 1.0

    @property
    def param(self) -> float:
        return self.exponent if self.kind == "time_based" else self.factor


StrategyName = Literal["hard_line", "boulware", "linear", "conceder", "tit_for_tat"]


def strategy_of(value: str | Strategy) -> Strategy:
    """A preset name or a table, as a `Strategy`."""
    if isinstance(value, Strategy):
        return value
    kind, param = STRATEGY_PRESETS[value]
    if kind == "time_based":
        return Strategy(kind=kind, exponent=param)
    return Strategy(kind=kind, factor=param)


class Bargaining(_Strict):
    """The `[bargaining]` table: who bargains and how, for the bargaining models.

    ``parties``: actor or bloc ids. Alternating offers takes exactly two (the first
    two when more are given); the Nash bargaining solution takes them all, every
    actor when none are given. A bloc speaks as one party with its declared line
    (or its members' capability-weighted line) and its consensus range.
    ``first``: who proposes first in alternating offers (the first party by default).
    ``deadline``: rounds of alternating offers before breakdown.
    ``weights``: the Nash solution's bargaining weights: ``"equal"`` (symmetric)
    or ``"capability"`` (asymmetric, capability shares).
    ``strategies``: per party, a preset name (``hard_line``, ``boulware``,
    ``linear``, ``conceder``, ``tit_for_tat``) or a table
    ``{ kind = "time_based", exponent = 0.5 }``; ``linear`` where not given.
    """

    parties: Annotated[tuple[Id, ...], Field(max_length=limits.MAX_PARTIES)] = ()
    first: Id | None = None
    deadline: Annotated[int, Strict(), Field(ge=1, le=100_000)] = 100
    weights: Literal["equal", "capability"] = "equal"
    strategies: Annotated[dict[Id, StrategyName | Strategy], _freeze] = Field(
        default_factory=FrozenDict
    )


Share = Annotated[float, Strict(), Field(ge=0.0, le=1.0, allow_inf_nan=False)]


class Crisis(_Strict):
    """The `[crisis]` table: force as an outside option (Fearon's crisis bargaining).

    ``challenger`` and ``defender``: actor or bloc ids. ``supporters``: actors
    with the share of their capability committed to the defender's side (or to
    the challenger's, listed under ``challenger_supporters``). ``contested``: the
    issues war decides. ``cost``: each side's cost of war as a share of the stakes.
    ``cost_range``: what the defender believes of the challenger's cost, uniform on
    ``[a, b]`` (private information); the defender's optimal offer and the
    probability of war follow from it. ``exponent``: the contest exponent g in
    ``p = K_C**g / (K_C**g + K_D**g)``. ``negotiation``: the bargaining model whose
    outcome the challenger weighs against war.
    """

    challenger: Id
    defender: Id
    supporters: Annotated[dict[Id, Share], _freeze] = Field(default_factory=FrozenDict)
    challenger_supporters: Annotated[dict[Id, Share], _freeze] = Field(default_factory=FrozenDict)
    contested: Annotated[tuple[Id, ...], Field(min_length=1)]
    cost: Annotated[dict[Id, NonNegativeCost], _freeze]
    cost_range: tuple[CostBound, CostBound] | None = None
    exponent: Annotated[float, Strict(), Field(gt=0.0, le=100.0, allow_inf_nan=False)] = 1.0
    negotiation: Literal["nbs", "alternating", "status_quo"] = "nbs"


NonNegative = Annotated[float, Strict(), Field(ge=0.0, allow_inf_nan=False)]


class Noise(_Strict):
    """Per-actor or per-issue overrides of the `[uncertainty]` spreads."""

    position_sd: NonNegative | None = None
    salience_sd: NonNegative | None = None
    capability_cv: NonNegative | None = None


class Uncertainty(_Strict):
    """The `[uncertainty]` table: what nobody knows exactly; ensembles perturb by it.

    ``position_sd`` is in scale units, ``salience_sd`` on the 0-1 salience scale,
    ``capability_cv`` the coefficient of variation of a mean-preserving lognormal
    factor on capability. ``actors.ID`` and ``issues.ID`` override the spreads for
    one actor or one issue (an actor's override wins over an issue's).
    """

    position_sd: NonNegative = 0.0
    salience_sd: NonNegative = 0.0
    capability_cv: NonNegative = 0.0
    actors: Annotated[dict[Id, Noise], _freeze] = Field(default_factory=FrozenDict)
    issues: Annotated[dict[Id, Noise], _freeze] = Field(default_factory=FrozenDict)


GAME_NAMES = ("prisoners_dilemma", "chicken", "stag_hunt", "deadlock")
"""Named 2x2 games (payoffs in :mod:`sim.models.games`)."""


class Symmetric(_Strict):
    """A symmetric 2x2 game by its four payoffs: reward, sucker, temptation, punishment."""

    R: Payoff
    S: Payoff
    T: Payoff
    P: Payoff


Bimatrix = tuple[
    tuple[tuple[Payoff, Payoff], tuple[Payoff, Payoff]],
    tuple[tuple[Payoff, Payoff], tuple[Payoff, Payoff]],
]
GameSpec = Literal["prisoners_dilemma", "chicken", "stag_hunt", "deadlock"] | Symmetric | Bimatrix


class Dyad(_Strict):
    """Two parties (actors or blocs) that play a repeated game, with its payoffs."""

    actors: tuple[Id, Id]
    payoffs: GameSpec | None = None


class Game(_Strict):
    """The `[game]` table: repeated 2x2 games between dyads of the scenario's parties.

    ``payoffs``: a named game, ``{ R, S, T, P }`` for a symmetric one, or a bimatrix
    ``[[[CC row, CC col], [CD row, CD col]], [[DC row, DC col], [DD row, DD col]]]``.
    ``dyads``: who plays whom (each may name its own payoffs). ``strategies``: each
    party's strategy, ``name`` or ``name:parameter``. ``turns``, ``noise`` (the
    probability that an action flips) and ``repetitions`` for tournaments.
    """

    payoffs: GameSpec = "prisoners_dilemma"
    turns: Annotated[int, Strict(), Field(ge=1, le=1_000_000)] = 200
    noise: Annotated[float, Strict(), Field(ge=0.0, le=1.0, allow_inf_nan=False)] = 0.0
    repetitions: Annotated[int, Strict(), Field(ge=1, le=100_000)] = 10
    dyads: Annotated[tuple[Dyad, ...], Field(max_length=limits.MAX_DYADS)] = ()
    strategies: Annotated[dict[Id, Name], _freeze] = Field(default_factory=FrozenDict)


class Outcome(_Strict):
    """The `[outcome]` table: what actually happened, to score forecasts against.

    ``position`` holds the outcome on each issue's own scale (issues left out have no
    recorded outcome), ``reason`` a line per issue saying why it is coded so, and
    ``coding`` whether the values were ``recorded`` by the data's publisher or are an
    analyst's ``coded`` reading of events. ``war`` says whether war followed (None:
    not stated).
    """

    date: _dt.date | None = None
    sources: Annotated[tuple[Text, ...], Field(max_length=limits.MAX_SOURCES)] = ()
    coding: Literal["recorded", "coded"] = "coded"
    war: Annotated[bool, Strict()] | None = None  # true or false, never "yes" or 1
    position: Annotated[dict[Id, Magnitude], _freeze] = Field(default_factory=FrozenDict)
    reason: Annotated[dict[Id, Text], _freeze] = Field(default_factory=FrozenDict)
    notes: Text = ""


class Scenario(_Strict):
    """A validated negotiation scenario (frozen). Build it with :func:`sim.load_scenario`."""

    scenario: ScenarioInfo
    issues: Annotated[tuple[Issue, ...], Field(min_length=1, max_length=limits.MAX_ISSUES)]
    actors: Annotated[dict[Id, Actor], Field(min_length=2, max_length=limits.MAX_ACTORS), _freeze]
    blocs: Annotated[dict[Id, Bloc], Field(max_length=limits.MAX_BLOCS), _freeze] = Field(
        default_factory=FrozenDict
    )
    model: ModelSection = Field(default_factory=ModelSection)
    payoffs: Payoffs = Field(default_factory=Payoffs)
    uncertainty: Uncertainty = Field(default_factory=Uncertainty)
    bargaining: Bargaining = Field(default_factory=Bargaining)
    crisis: Crisis | None = None
    game: Game | None = None
    outcome: Outcome | None = None

    # ---- convenience views -------------------------------------------------
    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def issue_ids(self) -> tuple[str, ...]:
        return tuple(issue.id for issue in self.issues)

    @property
    def actor_ids(self) -> tuple[str, ...]:
        return tuple(self.actors)

    def issue(self, issue_id: str) -> Issue:
        for issue in self.issues:
            if issue.id == issue_id:
                return issue
        raise KeyError(issue_id)

    def arrays(self) -> ScenarioArrays:
        """The scenario as plain numpy arrays for the kernels (see :class:`ScenarioArrays`)."""
        return scenario_arrays(self)

    def bloc_capability(self, bloc_id: str) -> float:
        """A bloc's capability: the sum of its members' (no capability counted twice)."""
        return float(sum(self.actors[m].capability for m in self.blocs[bloc_id].members))

    def bloc_range(self, bloc_id: str, issue_id: str) -> tuple[float, float] | None:
        """The positions a consensus bloc can accept on an issue, or None if there are none.

        The intersection of the members' red lines (and the bloc's own, if given);
        the whole scale where nobody has a red line.
        """
        bloc = self.blocs[bloc_id]
        lo, hi = self.issue(issue_id).scale
        ranges = [self.actors[m].red_line.get(issue_id) for m in bloc.members]
        ranges.append(bloc.red_line.get(issue_id))
        for r in ranges:
            if r is not None:
                lo, hi = max(lo, r[0]), min(hi, r[1])
        return (lo, hi) if lo <= hi else None

    def counts(self) -> str:
        """``"12 actors, 6 issues, 1 bloc"``."""
        return ", ".join(
            plural(len(table), word)
            for table, word in (
                (self.actors, "actor"),
                (self.issues, "issue"),
                (self.blocs, "bloc"),
            )
        )

    def __repr__(self) -> str:
        return f"Scenario({self.name!r}, {self.counts()})"

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return scenario_html(self)


@dataclass(frozen=True)
class ScenarioArrays:
    """A scenario as contiguous float64 arrays, issue-major.

    Attributes
    ----------
    actor_ids, issue_ids : tuple of str
        Row labels: n actors, m issues.
    capability : (n,) float64
    position, salience : (m, n) float64
    red_lo, red_hi : (m, n) float64
        Each actor's acceptable range per issue (the scale where it has no red line).
    scale_lo, scale_hi : (m,) float64
    status_quo : (m,) float64, NaN where the issue has none
    risk : (n,) float64
        Fixed risk exponents; NaN where the model computes them.
    Q, T : float
        Expected-utility model parameters.
    rounds : int
        The scenario's round limit.
    """

    actor_ids: tuple[str, ...]
    issue_ids: tuple[str, ...]
    capability: np.ndarray
    position: np.ndarray
    salience: np.ndarray
    red_lo: np.ndarray
    red_hi: np.ndarray
    scale_lo: np.ndarray
    scale_hi: np.ndarray
    status_quo: np.ndarray
    risk: np.ndarray
    Q: float
    T: float
    rounds: int

    @property
    def width(self) -> np.ndarray:
        return self.scale_hi - self.scale_lo


def scenario_arrays(sc: Scenario) -> ScenarioArrays:
    actors = list(sc.actors.items())
    issues = sc.issues
    m, n = len(issues), len(actors)
    position = np.empty((m, n))
    salience = np.empty((m, n))
    red_lo = np.empty((m, n))
    red_hi = np.empty((m, n))
    for k, issue in enumerate(issues):
        for i, (_, actor) in enumerate(actors):
            position[k, i] = actor.position[issue.id]
            salience[k, i] = actor.salience[issue.id]
            red_lo[k, i], red_hi[k, i] = actor.red_line.get(issue.id, issue.scale)
    risk = np.full(n, np.nan)
    spec = sc.payoffs.risk
    for i, (aid, _) in enumerate(actors):
        value = spec.get(aid, "computed") if isinstance(spec, dict) else spec
        if value != "computed":
            risk[i] = float(value)
    return ScenarioArrays(
        actor_ids=tuple(a for a, _ in actors),
        issue_ids=tuple(i.id for i in issues),
        capability=np.array([a.capability for _, a in actors], dtype=np.float64),
        position=position,
        salience=salience,
        red_lo=red_lo,
        red_hi=red_hi,
        scale_lo=np.array([i.scale[0] for i in issues], dtype=np.float64),
        scale_hi=np.array([i.scale[1] for i in issues], dtype=np.float64),
        status_quo=np.array(
            [np.nan if i.status_quo is None else i.status_quo for i in issues], dtype=np.float64
        ),
        risk=risk,
        Q=float(sc.model.Q),
        T=float(sc.model.T),
        rounds=int(sc.model.rounds),
    )
