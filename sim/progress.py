"""Progress for long work: a bar on a terminal or in a notebook, a periodic status line in logs."""

from __future__ import annotations

import sys
import time


class Progress:
    """Counts finished units of work.

    On a terminal or in a notebook it shows a ``tqdm.auto`` bar; otherwise (logs, CI)
    it prints one line to stderr at most every ``every`` seconds, and never a
    carriage return. ``enabled=False`` keeps it silent.
    """

    def __init__(
        self, total: int, desc: str, unit: str = "run", enabled: bool = True, every: float = 10.0
    ):
        self.total = total
        self.desc = desc
        self.unit = unit
        self.done = 0
        self.every = every
        self._bar = None
        self._last = time.monotonic()
        self._start = self._last
        self.enabled = enabled
        if enabled and (_in_notebook() or sys.stderr.isatty()):
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False)

    def update(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.monotonic()
        if now - self._last >= self.every or self.done >= self.total:
            self._last = now
            rate = self.done / max(now - self._start, 1e-9)
            units = self.unit + ("es" if self.unit.endswith(("s", "x", "ch", "sh")) else "s")
            print(
                f"{self.desc}: {self.done}/{self.total} {units} ({rate:.0f} {units}/s)",
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"
