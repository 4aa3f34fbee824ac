"""sim explore: serve the interactive explorer on this machine."""

from __future__ import annotations

import os
import subprocess
import sys

import click

from sim.cli._common import InputError, _load
from sim.scenario import resolve


@click.command("explore")
@click.argument("scenario", required=False)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; the default serves this machine only.",
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help="Port."
)
def explore_cmd(scenario, host, port) -> None:
    """Serve a page to explore SCENARIO: step the negotiation round by round, move an
    actor's position or salience with a slider, watch the trajectories and the forecast.

    Open http://HOST:PORT/ in a browser; Ctrl-C stops the server. Needs the explore
    extra (pip install -e ".[explore]"). In a notebook: sim.explore.explorer(SCENARIO).
    """
    try:
        import solara  # noqa: F401
    except ImportError:
        raise InputError(
            'sim explore needs solara: pip install -e ".[explore]" (or ".[dev]")'
        ) from None
    sc = _load(scenario)  # bad input: exit 2 before anything starts
    source = str(resolve(scenario)) if scenario is not None else "nato_russia_2022"
    env = dict(os.environ, SIM_EXPLORE_SCENARIO=source)
    env.setdefault("MPLBACKEND", "Agg")
    click.echo(f"exploring {sc.name} at http://{host}:{port}/ (Ctrl-C to stop)")
    cmd = [
        sys.executable, "-m", "solara", "run", "sim.explore:Page",
        "--host", host, "--port", str(port), "--no-open", "--production",
        "--log-level", "warning", "--log-level-uvicorn", "warning",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env)
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        raise
    if code != 0:
        raise click.ClickException(f"the explorer's server stopped with exit code {code}")
