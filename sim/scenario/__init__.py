"""Scenario files: schema, loading, validation, bloc resolution."""

from sim.scenario.errors import ScenarioError
from sim.scenario.load import (
    DEFAULT_SCENARIO,
    load_scenario,
    read_raw,
    resolve,
    shipped_scenarios,
    validate_raw,
)
from sim.scenario.overrides import apply_overrides
from sim.scenario.schema import Scenario, ScenarioArrays

__all__ = [
    "DEFAULT_SCENARIO",
    "Scenario",
    "ScenarioArrays",
    "ScenarioError",
    "apply_overrides",
    "load_scenario",
    "read_raw",
    "resolve",
    "shipped_scenarios",
    "validate_raw",
]
