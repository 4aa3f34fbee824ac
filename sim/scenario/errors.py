"""The one error type for bad scenario input."""

from __future__ import annotations

from sim.scenario.limits import MAX_PROBLEMS_SHOWN
from sim.text import printable


class ScenarioError(ValueError):
    """Bad scenario input. ``problems`` lists (field path, what was expected).

    ``str(error)`` gives one line per problem: ``FILE: FIELD: MESSAGE``, with every
    control, format or invisible character of the file's text shown as an escape
    (:func:`sim.text.printable`), so quoting a file cannot drive the terminal. Past
    :data:`sim.scenario.limits.MAX_PROBLEMS_SHOWN` problems a last line says how many
    more there are (``problems`` keeps them all).
    """

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = str(source)
        self.problems = list(problems)
        super().__init__(self._format())

    def _format(self) -> str:
        lines = []
        source = printable(self.source)
        shown = self.problems[:MAX_PROBLEMS_SHOWN]
        for path, message in shown:
            # a message is one line: a newline quoted from the file is shown as \x0a
            text = printable(message).replace("\n", "\\x0a").replace("\t", "\\x09")
            where = printable(path).replace("\n", "\\x0a").replace("\t", "\\x09")
            lines.append(f"{source}: {where}: {text}" if path else f"{source}: {text}")
        if len(self.problems) > len(shown):
            more = len(self.problems) - len(shown)
            lines.append(
                f"{source}: and {more:,} more problems ({len(self.problems):,} in all); "
                "expected a file with none, fix these first"
            )
        return "\n".join(lines)
