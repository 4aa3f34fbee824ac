"""The one error type for bad scenario input."""

from __future__ import annotations


class ScenarioError(ValueError):
    """Bad scenario input. ``problems`` lists (field path, what was expected).

    ``str(error)`` gives one line per problem: ``FILE: FIELD: MESSAGE``.
    """

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = str(source)
        self.problems = list(problems)
        super().__init__(self._format())

    def _format(self) -> str:
        lines = []
        for path, message in self.problems:
            lines.append(
                f"{self.source}: {path}: {message}" if path else f"{self.source}: {message}"
            )
        return "\n".join(lines)
