"""Numba kernels: arrays and scalars in, arrays out; no Python objects.

Every kernel is compiled with the flags in :data:`JIT` (cached, no fastmath), so
the same inputs give the same bits on every run and every thread count.

numba's on-disk cache notices a change to a kernel's own file only: a kernel that
calls into another module (``sim.kernels.ensemble.run_chunk`` calls
``sim.kernels.eum``) keeps its old compiled code after that module changes. After
editing a kernel, delete ``sim/kernels/__pycache__``. A fresh clone (CI, a user's
install) has no cache and always compiles the current code.

numba is imported when a kernel first runs, not when a kernel module is imported, so
that the commands that compute nothing start fast. Until then :func:`jit` and
:func:`jit_parallel` give a :class:`Kernel`, which holds the Python function
(``py_func``) and its flags. The first call of any kernel imports numba, makes the
real dispatcher of every kernel defined so far, and puts it (and ``numba.prange`` for
:data:`prange`) in place of the placeholders in the globals of every loaded ``sim``
module, before anything compiles: numba reads a kernel's globals when it compiles
it, so kernels calling kernels by name, and ``prange`` loops, compile as if the
dispatchers had been made at import. Kernels defined after that are dispatchers
from the start. A :class:`Kernel` kept elsewhere (``from sim.kernels.eum import
run_outcome`` outside ``sim``) goes on working: it calls its dispatcher, and any other
attribute (``signatures``, ``overloads``, ``targetoptions``...) is the dispatcher's.
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading

JIT = {"cache": True, "nogil": True, "fastmath": False, "error_model": "numpy"}
"""Compile flags for every kernel, in one place."""

_LOCK = threading.RLock()
_PENDING: list[Kernel] = []
_NUMBA = None  # the numba module, once a kernel has run


class _Prange:
    """Stands for ``numba.prange`` until numba is imported (``range`` when called)."""

    def __call__(self, *args):
        return range(*args)

    def __repr__(self) -> str:
        return "sim.kernels.prange"


prange = _Prange()
"""``numba.prange`` for the parallel kernels' loops; replaced by it when numba loads."""


class Kernel:
    """A kernel whose numba dispatcher is made when a kernel first runs."""

    def __init__(self, func, options: dict) -> None:
        functools.update_wrapper(self, func)
        self.py_func = func
        self._options = options
        self._dispatcher = None

    def __call__(self, *args, **kwargs):
        dispatcher = self._dispatcher
        if dispatcher is None:
            load()
            dispatcher = self._dispatcher
        return dispatcher(*args, **kwargs)

    def __getattr__(self, name: str):
        # only called for what the instance does not hold: the dispatcher's attributes;
        # a private name (what pytest, pickle or inspect probe for) does not load numba
        dispatcher = self.__dict__.get("_dispatcher")
        if name.startswith("__") or (name.startswith("_") and dispatcher is None):
            raise AttributeError(name)
        if dispatcher is None:
            load()
            dispatcher = self._dispatcher
        return getattr(dispatcher, name)

    def __repr__(self) -> str:
        return f"<kernel {self.__module__}.{self.__qualname__}>"

    def __reduce__(self):
        return _named, (self.__module__, self.__qualname__)


def _named(module: str, name: str):
    """The kernel ``name`` of the module ``module`` (how a pickled kernel comes back)."""
    return getattr(importlib.import_module(module), name)


def _dispatcher(numba, func, options: dict):
    return numba.njit(**options, **JIT)(func)


def load() -> None:
    """Import numba and put the dispatchers in place of every kernel made so far (once)."""
    global _NUMBA
    if _NUMBA is not None:
        return
    with _LOCK:
        if _NUMBA is not None:
            return
        import numba
        from numba.core import types
        from numba.core.compiler_lock import global_compiler_lock
        from numba.extending import typeof_impl

        # a Kernel left where numba still meets it (a global restored after this) types
        # as its dispatcher
        typeof_impl.register(Kernel)(lambda value, c: types.Dispatcher(value._dispatcher))

        # no thread compiles (reads globals) while the globals change
        with global_compiler_lock:
            real = {id(k): _dispatcher(numba, k.py_func, k._options) for k in _PENDING}
            # the globals of every sim module and of every kernel (one defined elsewhere)
            namespaces = {id(k.py_func.__globals__): k.py_func.__globals__ for k in _PENDING}
            for name, module in list(sys.modules.items()):
                if name == "sim" or name.startswith("sim."):
                    namespace = getattr(module, "__dict__", None)
                    if namespace is not None:
                        namespaces[id(namespace)] = namespace
            for namespace in namespaces.values():
                for key, value in list(namespace.items()):
                    if isinstance(value, Kernel) and id(value) in real:
                        namespace[key] = real[id(value)]
                    elif value is prange:
                        namespace[key] = numba.prange
            for k in _PENDING:
                k._dispatcher = real[id(k)]
            _PENDING.clear()
            _NUMBA = numba


def _make(func, options: dict):
    with _LOCK:
        if _NUMBA is not None:
            return _dispatcher(_NUMBA, func, options)
        kernel = Kernel(func, options)
        _PENDING.append(kernel)
        return kernel


def jit(func):
    """Compile ``func`` with the project's flags (when a kernel first runs)."""
    return _make(func, {})


def jit_inline(func):
    """:func:`jit` inlined into its callers (numba's ``inline="always"``): for the small
    helpers a kernel calls in its innermost loops."""
    return _make(func, {"inline": "always"})


def jit_parallel(func):
    """:func:`jit` with ``parallel=True``, for kernels whose loops use :data:`prange`."""
    return _make(func, {"parallel": True})
