"""sim run: one model on a scenario, the bargaining models included."""

from __future__ import annotations

import math

import click

from sim.cli._common import InputError, _load, _out_dir, protects_inputs, set_option
from sim.models import MODELS
from sim.scenario import resolve


@click.command("run")
@click.argument("scenario", required=False)
@click.option(
    "--model",
    "model",
    type=click.Choice(MODELS),
    default=None,
    help="Model to run (default: the scenario's [model] kind).",
)
@click.option(
    "--rounds",
    type=click.IntRange(0, 10_000),
    default=None,
    help="Round limit (default: the scenario's [model] rounds).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for rounds.csv, summary.json and figures.",
)
@set_option("Change a field before running, e.g. actors.RUS.position.enlargement=50 (repeatable).")
@click.option(
    "--focus",
    default=None,
    metavar="ACTOR",
    help="Actor whose view the quadrant chart shows (default: the first actor).",
)
@click.option(
    "--parties",
    default=None,
    metavar="A,B,...",
    help="Bargaining models: actor or bloc ids that bargain, e.g. RUS,NATO "
    "(default: the scenario's [bargaining] parties).",
)
@click.option(
    "--strategy",
    "strategies",
    multiple=True,
    metavar="PARTY=NAME",
    help="Alternating offers: a party's strategy: hard_line, boulware, linear, conceder, "
    "tit_for_tat, time_based:EXPONENT or tit_for_tat:FACTOR (repeatable).",
)
@click.option(
    "--first", default=None, metavar="PARTY", help="Alternating offers: who proposes first."
)
@click.option(
    "--weights",
    type=click.Choice(("equal", "capability")),
    default=None,
    help="Nash bargaining: symmetric (equal) or asymmetric (capability) weights.",
)
@click.option(
    "--negotiation",
    type=click.Choice(("nbs", "alternating", "status_quo")),
    default=None,
    help="Crisis: the outcome the challenger weighs against war (default: [crisis] negotiation).",
)
@protects_inputs
def run_cmd(
    scenario, model, rounds, out, overrides, focus, parties, strategies, first, weights, negotiation
) -> None:
    """Run a model on SCENARIO (a shipped name or a .toml/.csv/.json path).

    eum, compromise and median move actors' positions; nbs (Nash bargaining),
    alternating (alternating offers between two parties) and crisis (force as the
    outside option, from the scenario's [crisis]) look for a deal and for war.
    """
    from sim.experiment import run

    out_dir = _out_dir(out)
    sc = _load(scenario, overrides)
    source = resolve(scenario)
    if focus is not None and focus not in sc.actors:
        raise InputError(
            f"{source}: --focus {focus}: unknown actor; expected one of: {', '.join(sc.actors)}"
        )
    kind = model or sc.model.kind
    given = [
        name
        for name, value in (
            ("--parties", parties),
            ("--strategy", strategies),
            ("--first", first),
            ("--weights", weights),
            ("--negotiation", negotiation),
        )
        if value
    ]
    if given and kind not in ("nbs", "alternating", "crisis"):
        raise InputError(
            f"{' and '.join(given)}: options of the bargaining models; "
            f"expected --model nbs, alternating or crisis (the model is {kind})"
        )
    if rounds is not None and rounds < 1 and _uses_deadline(sc, kind, negotiation):
        raise InputError(
            f"--rounds {rounds}: alternating offers need a deadline of at least 1 round"
        )
    if focus is not None and kind in ("nbs", "alternating", "crisis"):
        raise InputError(
            f"--focus: an option of the eum model's quadrant chart (the model is {kind})"
        )
    if kind in ("nbs", "alternating", "crisis"):
        _run_bargain(sc, source, kind, rounds, out_dir, overrides, parties, strategies, first,
                     weights, negotiation)  # fmt: skip
        return
    result = run(sc, model=model, rounds=rounds)
    result = type(result)(
        sc,
        result.model,
        result.trajectory,
        result.round_limit,
        source=str(resolve(scenario)),
        overrides=tuple(overrides),
    )
    _print_run(result)
    if out_dir is not None:
        written = result.write(out_dir, focus=focus)
        click.echo(f"wrote {', '.join(p.name for p in written)} to {out_dir}")


def _uses_deadline(sc, kind: str, negotiation: str | None) -> bool:
    """Whether --rounds is the deadline of alternating offers for this run."""
    if kind == "alternating":
        return True
    if kind == "crisis" and sc.crisis is not None:
        return (negotiation or sc.crisis.negotiation) == "alternating"
    return False


def _party_list(sc, source, text: str | None, kind: str):
    if text is None:
        return None
    ids = [p.strip() for p in text.split(",") if p.strip()]
    known = list(sc.actors) + list(sc.blocs)
    for pid in ids:
        if pid not in known:
            raise InputError(
                f"{source}: --parties {text}: unknown actor or bloc {pid!r}; "
                f"expected ids from: {', '.join(known)}"
            )
    if len(set(ids)) != len(ids) or len(ids) < 2:
        raise InputError(f"{source}: --parties {text}: expected at least two different ids")
    if kind == "alternating" and len(ids) != 2:
        raise InputError(f"{source}: --parties {text}: alternating offers takes exactly two")
    return ids


def _strategy_map(source, items) -> dict:
    from sim.scenario.schema import STRATEGY_PRESETS, Strategy

    out = {}
    for item in items:
        pid, sep, spec = item.partition("=")
        name, _, param = spec.partition(":")
        pid, name, param = pid.strip(), name.strip(), param.strip()
        presets = ", ".join(STRATEGY_PRESETS)
        if not sep or not pid or not name:
            raise InputError(f"--strategy {item}: expected PARTY=NAME, NAME one of: {presets}")
        if pid in out:
            raise InputError(f"--strategy {item}: {pid} is given more than once; expected one each")
        if not param:
            if name not in STRATEGY_PRESETS:
                raise InputError(
                    f"--strategy {item}: unknown strategy {name!r}; expected one of: {presets}, "
                    "time_based:EXPONENT, tit_for_tat:FACTOR"
                )
            out[pid] = name
            continue
        try:
            value = float(param)
        except ValueError:
            value = math.nan
        if name == "time_based" and math.isfinite(value) and value > 0:
            out[pid] = Strategy(kind="time_based", exponent=value)
        elif name == "tit_for_tat" and math.isfinite(value) and 0 <= value <= 10:
            out[pid] = Strategy(kind="tit_for_tat", factor=value)
        else:
            raise InputError(
                f"--strategy {item}: expected time_based:EXPONENT with EXPONENT > 0 "
                "or tit_for_tat:FACTOR with FACTOR in [0, 10]"
            )
    return out


def _run_bargain(
    sc, source, kind, rounds, out_dir, overrides, parties, strategies, first, weights, negotiation
):
    from sim.experiment import run

    ids = _party_list(sc, source, parties, kind)
    strat = _strategy_map(source, strategies)
    if kind == "crisis" and sc.crisis is None:
        raise InputError(
            f"{source}: crisis: the crisis model needs a [crisis] section "
            "(challenger, defender, contested, cost); see scenarios/README.md"
        )
    from sim.models.parties import default_parties

    who = ids or default_parties(sc, "alternating")
    for pid in strat:
        if pid not in who:
            raise InputError(
                f"--strategy {pid}=...: {pid!r} is not a party; expected one of: {', '.join(who)}"
            )
    if first is not None and first not in who:
        raise InputError(f"--first {first}: expected one of the parties: {', '.join(who)}")
    try:
        result = run(
            sc,
            model=kind,
            rounds=rounds,
            parties=ids,
            strategies=strat,
            first=first,
            weights=weights,
            negotiation=negotiation,
        )
    except ValueError as exc:
        raise InputError(f"{source}: {exc}") from None
    result = type(result)(
        sc, result.model, result.record, result.crisis, result.rounds,
        source=str(source), overrides=tuple(overrides),
    )  # fmt: skip
    _print_bargain(result)
    if out_dir is not None:
        written = result.write(out_dir)
        click.echo(f"wrote {', '.join(p.name for p in written)} to {out_dir}")


def _print_bargain(result) -> None:
    sc, rec = result.scenario, result.record
    click.echo(f"{sc.name}: model {result.model}")
    if result.model in ("nbs", "alternating"):
        ps = list(rec["parties"])
        more = f" and {len(ps) - 20} more" if len(ps) > 20 else ""
        click.echo(f"parties: {', '.join(ps[:20])}{more}")
        if result.model == "nbs":
            for iid, z in rec["zone_of_agreement"].items():
                zone = (
                    f"empty ({', '.join(z['parties'])})"
                    if z["empty"]
                    else f"[{z['lo']:g}, {z['hi']:g}]"
                )
                click.echo(f"  zone of agreement on {iid}: {zone}")
        a = rec["agreement"]
        if a["reached"]:
            when = f" in round {rec['round']}" if result.model == "alternating" else ""
            click.echo(f"agreement{when}:")
            for iid, x in a["outcome"].items():
                click.echo(f"  {iid:<16} {x:8.2f}")
            click.echo("utilities: " + ", ".join(f"{p} {u:.3f}" for p, u in a["utilities"].items()))
        else:
            click.echo(rec.get("message", "no agreement"))
    cr = rec if result.model == "crisis" else result.crisis
    if cr is not None:
        c, d = cr["challenger"], cr["defender"]
        lo, hi = cr["bargaining_range"]
        click.echo(
            f"crisis: {c} against {d}; P({c} wins) = {cr['p']:.3f}; "
            f"bargaining range [{lo:.3f}, {hi:.3f}] ({c}'s share)"
        )
        neg = cr["negotiation"]
        what = "the negotiated outcome" if neg["reached"] else "the status quo (no agreement)"
        share = "n/a" if neg["share"] is None else f"{neg['share']:.3f}"
        click.echo(
            f"  war is worth {cr['war_value_share'][c]:.3f} to {c}; {what} ({neg['model']}) "
            f"{share}: {'war' if cr['war'] else 'no war'}"
        )
        f = cr.get("fearon")
        if f is not None:
            click.echo(
                f"  {d}'s optimal offer with {c}'s cost private on [{f['cost_range'][0]:g}, "
                f"{f['cost_range'][1]:g}]: {f['offer']:.3f}, P(war) = {f['p_war']:.3f}"
            )
            b = f["with_red_lines"]
            offer = (
                "no offer both sides' red lines allow"
                if b["offer"] is None
                else (f"offer {b['offer']:.3f}")
            )
            click.echo(f"  within the red lines: {offer}, P(war) = {b['p_war']:.3f}")


def _print_run(result) -> None:
    fc = result.forecast()
    sc = result.scenario
    click.echo(f"{sc.name}: model {result.model}, {len(sc.actors)} actors, {len(sc.issues)} issues")
    header = (
        f"{'issue':<16} {'start: comp.':>12} {'median':>8}   {'forecast: comp.':>15} {'median':>8}"
    )
    click.echo(header)
    click.echo("-" * len(header))
    for iid, row in fc.iterrows():
        click.echo(
            f"{iid[:16]:<16} {row.initial_compromise:>12.2f} {row.initial_median:>8.2f}   "
            f"{row.compromise:>15.2f} {row['median']:>8.2f}"
        )
    how = {
        "limit": f"stopped at the round limit after {result.rounds} rounds",
        "converged": f"converged: nobody moved in round {result.rounds}",
        "cycle": f"cycle of {result.cycle_length} rounds found at round {result.rounds}; "
        "the forecast is the mean over the cycle",
    }[result.stopped]
    if result.model != "eum":
        how = "static baseline: no rounds"
    click.echo(how)
