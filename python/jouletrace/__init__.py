# SPDX-License-Identifier: BSD-3-Clause
"""Energy per phase of a Python program (training, inference, an epoch ...), per component of the node.

    import jouletrace

    with jouletrace.phase("train", sync=torch.cuda.synchronize) as p:
        for batch in loader:
            ...
            p.add_items(len(batch))
    print(p.measurement)          # None under `jouletrace run`: the parent's report has the phase

    @jouletrace.phase("infer")
    def infer(batch): ...

    w = jouletrace.begin_window("eval")
    ...
    m = jouletrace.end_window(w)  # a Measurement (or None under `jouletrace run`)

Under `jouletrace run` the markers go to the parent (through ``JOULETRACE_MARKERS``) and its report
gets the phases; without a parent the library samples the node's sensors in this process and each
window's energy comes back as a :class:`Measurement`. See docs/PYTHON.md.
"""

from __future__ import annotations

import atexit
import contextvars
import functools
import inspect
import operator
import os
import threading
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple, Union


def _built_for_another_interpreter(error: ImportError) -> ImportError:
    """Says which interpreter the extension was built for, when it is not this one: Python's own
    error reads as a circular import (issue 15). The built-for tag is the extension's file name
    suffix (PEP 3149), e.g. cpython-311-x86_64-linux-gnu."""
    import glob
    import sys
    import sysconfig

    here = os.path.dirname(os.path.abspath(__file__))
    built = sorted(os.path.basename(p)[len("_jouletrace."):-len(".so")]
                   for p in glob.glob(os.path.join(here, "_jouletrace.*.so")))
    wanted = (sysconfig.get_config_var("EXT_SUFFIX") or "")[1:-len(".so")]
    if not built or wanted in built:
        return error
    return ImportError(
        f"jouletrace's extension was built for {', '.join(built)}, but this interpreter "
        f"({sys.executable}, Python {sys.version.split()[0]}) needs {wanted}: install jouletrace "
        f"with this interpreter (`{sys.executable} -m pip install .`, docs/PYTHON.md)")


try:
    from . import _jouletrace as _jt
except ImportError as _error:
    raise _built_for_another_interpreter(_error) from _error

__all__ = [
    "ComponentEnergy",
    "Error",
    "Measurement",
    "Window",
    "add_items",
    "begin_window",
    "current_phase",
    "dropped_markers",
    "end_window",
    "get_default_sync",
    "init",
    "mode",
    "phase",
    "set_default_sync",
    "shutdown",
]

__version__: str = _jt.VERSION
API_VERSION: int = _jt.API_VERSION


class Error(RuntimeError):
    """A jouletrace call failed or was misused.

    ``str(e)`` is the library's explanation (``jt_last_error``); ``status`` names the C status
    (``"invalid_argument"``, ``"not_initialized"``, ``"unknown_window"``, ``"buffer_full"``, ...) and
    ``code`` is its number.
    """

    def __init__(self, message: str, code: int = _jt.ERR_INVALID_ARGUMENT,
                 status: str = "invalid_argument") -> None:
        super().__init__(message)
        self.code = code
        self.status = status

    def __reduce__(self):  # keeps code and status through pickling (multiprocessing)
        return (type(self), (str(self), self.code, self.status))


_jt._set_error_type(Error)


@dataclass(frozen=True)
class ComponentEnergy:
    """One component's share of a window: a package, its DRAM, a GPU, the node meter ..."""

    id: str               #: "powercap/intel-rapl:0", "nvml/GPU-...", "model/cpu"
    domain: str           #: package, core, uncore, dram, psys, gpu, node, other
    method: str           #: counter, power-integrated, model, none
    energy_j: Optional[float]       #: None when unknown (never 0)
    uncertainty_j: Optional[float]
    in_total: bool        #: part of the non-overlapping cover that makes Measurement.energy_j
    samples: int          #: readings inside the window
    covered_s: float      #: the part of the window the readings cover
    provenance: str       #: the sensor's file or API


@dataclass(frozen=True)
class Measurement:
    """The energy of one window, measured in this process.

    Unknown is ``None``, never 0: with no readable sensor (a laptop, a VM, a cluster node where
    the user is not root) the window still ends normally, ``energy_j`` is None, ``method`` is
    ``"none"`` and ``note`` says why.
    """

    name: str
    start_s: float        #: seconds since the library was initialised
    duration_s: float
    energy_j: Optional[float]       #: total over a non-overlapping cover of the node
    uncertainty_j: Optional[float]
    method: str           #: counter, power-integrated, model, mixed, none
    items: int
    energy_per_item_j: Optional[float]  #: None when no items were counted or the energy is unknown
    short_window: bool    #: shorter than 10 update periods of a sensor (see uncertainty_j)
    components: Tuple[ComponentEnergy, ...]
    note: str = ""        #: why the energy is unknown; empty when it is known
    samples: int = 0      #: readings of the total's components inside the window
    covered_s: float = 0.0  #: the part of the window every component of the total covers

    @property
    def average_power_w(self) -> Optional[float]:
        if self.energy_j is None or self.duration_s <= 0:
            return None
        return self.energy_j / self.duration_s

    # Names a Zeus user would look for.
    @property
    def time(self) -> float:
        return self.duration_s

    @property
    def total_energy(self) -> Optional[float]:
        return self.energy_j

    def component(self, component_id: str) -> Optional[ComponentEnergy]:
        """The component with this id, or None."""
        for c in self.components:
            if c.id == component_id:
                return c
        return None

    def __str__(self) -> str:
        if self.energy_j is None:
            text = f"{self.name}: energy unknown in {self.duration_s:.3f} s ({self.note or 'none'})"
        else:
            text = (f"{self.name}: {self.energy_j:.3f} J ± {self.uncertainty_j:.3f} J in "
                    f"{self.duration_s:.3f} s ({self.method})")
        if self.items:
            text += f", {self.items} items"
            if self.energy_per_item_j is not None:
                text += f", {self.energy_per_item_j:.6g} J/item"
        if self.short_window:
            text += " [short window]"
        return text


def _measurement(name: str, data: dict) -> Measurement:
    components = tuple(ComponentEnergy(**c) for c in data.pop("components"))
    return Measurement(name=name, components=components, **data)


# ---------------------------------------------------------------------------------------------
# Initialisation

_MODES = {_jt.MODE_PARENT: "parent", _jt.MODE_SELF: "self"}
_init_lock = threading.Lock()
_atexit_registered = False
# The options of the last successful init(): an implicit init (the first marker after a
# shutdown(), or in a child after fork()) uses them again.
_last_options: Tuple[float, Optional[str], Optional[str], Optional[str], bool, bool] = (
    0.0, None, None, None, False, False)


def _path(value: Any) -> Optional[str]:
    return None if value is None else os.fsdecode(os.fspath(value))


def init(interval_s: Optional[float] = None, sysfs_root: Any = None, dev_root: Any = None,
         nvml_library: Any = None, measure_in_process: bool = False,
         strict: bool = False) -> None:
    """Starts the library; the first marker does it implicitly (defaults, or the last options).

    With ``JOULETRACE_MARKERS`` set (under ``jouletrace run``) the markers go to the parent;
    otherwise this probes the node's sensors and starts sampling them every ``interval_s``
    (default 0.1 s). ``measure_in_process`` samples here even under a parent. ``sysfs_root``,
    ``dev_root`` and ``nvml_library`` point the sensors elsewhere (tests, containers).

    When no sensor is readable in this process, one ``RuntimeWarning`` says so at once and every
    window still ends normally, its :class:`Measurement` with ``energy_j`` None. ``strict=True``
    makes such a window raise :class:`Error` when it ends instead.

    Calling it again while running changes nothing (a warning says so when options are given):
    call :func:`shutdown` first. An implicit init (the first marker after :func:`shutdown`, or in
    a child after ``fork()``) uses the options of the last successful call.
    """
    given = (interval_s is not None or sysfs_root is not None or dev_root is not None
             or nvml_library is not None or measure_in_process or strict)
    options = (0.0 if interval_s is None else float(interval_s), _path(sysfs_root),
               _path(dev_root), _path(nvml_library), bool(measure_in_process), bool(strict))
    if not _start(options) and given:
        warnings.warn("jouletrace is already initialised; the options are ignored "
                      "(call jouletrace.shutdown() first)", RuntimeWarning, stacklevel=2)


def _start(options) -> bool:
    """Initialises with these options unless already running; True when it did."""
    global _atexit_registered, _last_options
    with _init_lock:
        if _jt.mode() != _jt.MODE_UNINITIALIZED:
            return False
        _jt.init(*options)
        _last_options = options
        if not _atexit_registered:
            atexit.register(_shutdown_at_exit)
            _atexit_registered = True
    _warn_if_unmeasured(strict=options[5])
    return True


_warned_in_pid: Optional[int] = None


def _warn_if_unmeasured(strict: bool) -> None:
    """Once per process, at once: nobody should wait hours for windows without energy."""
    global _warned_in_pid
    reason = _jt.unavailable_reason()
    if reason is None or _jt.mode() != _jt.MODE_SELF or _warned_in_pid == os.getpid():
        return
    _warned_in_pid = os.getpid()
    outcome = ("will raise jouletrace.Error when they end" if strict
               else "will end with their energy unknown (None)")
    warnings.warn(f"jouletrace: {reason}; windows {outcome}", RuntimeWarning, stacklevel=4)


def shutdown() -> None:
    """Flushes pending markers and stops sampling. Windows still open are dropped.

    Harmless when not initialised. Registered with :mod:`atexit`, so markers are flushed when the
    interpreter exits normally.
    """
    with _init_lock:
        if _jt.mode() == _jt.MODE_UNINITIALIZED:
            return
        with _open_lock:
            _open.clear()
        _jt.shutdown()


def _shutdown_at_exit() -> None:
    try:
        shutdown()
    except Error:
        pass


def _ensure_init() -> None:
    if _jt.mode() == _jt.MODE_UNINITIALIZED:
        _start(_last_options)


def mode() -> str:
    """``"parent"`` under ``jouletrace run`` (markers go to it and this process does not measure),
    ``"self"`` when this process measures its windows (also under a parent with
    ``measure_in_process=True``)."""
    _ensure_init()
    return _MODES.get(_jt.mode(), "uninitialized")


def dropped_markers() -> int:
    """Markers lost because the in-process buffer was full, since init."""
    return _jt.dropped_markers()


# ---------------------------------------------------------------------------------------------
# Sync hooks

SyncHook = Optional[Union[Callable[[], Any], bool]]
_default_sync: Optional[Callable[[], Any]] = None


def set_default_sync(fn: Optional[Callable[[], Any]]) -> Optional[Callable[[], Any]]:
    """Sets the hook called before every boundary whose ``sync`` is None (e.g.
    ``torch.cuda.synchronize``), so asynchronous device work lands in the right phase.
    None removes it. Returns the previous hook."""
    global _default_sync
    if fn is not None and not callable(fn):
        raise TypeError("the default sync hook must be callable or None")
    previous, _default_sync = _default_sync, fn
    return previous


def get_default_sync() -> Optional[Callable[[], Any]]:
    return _default_sync


def _resolve_sync(sync: SyncHook) -> Optional[Callable[[], Any]]:
    """None: the default hook; False: no hook; a callable: that hook."""
    if sync is None:
        return _default_sync
    if sync is False:
        return None
    if sync is True or not callable(sync):
        raise TypeError("sync must be a callable, None (the default hook) or False (no hook)")
    return sync


# ---------------------------------------------------------------------------------------------
# Windows

class Window:
    """An open window, as returned by :func:`begin_window`."""

    __slots__ = ("id", "name", "sync")

    def __init__(self, window_id: int, name: str, sync: Optional[Callable[[], Any]]) -> None:
        self.id = window_id
        self.name = name
        self.sync = sync

    def add_items(self, count: int) -> None:
        add_items(self, count)

    def end(self, sync: SyncHook = None) -> Optional[Measurement]:
        return end_window(self, sync=sync)

    def __repr__(self) -> str:
        return f"<jouletrace.Window {self.name!r} id={self.id}>"


# Windows begun from Python and not yet ended, by id, in begin order (for end_window(name)).
_open: "dict[int, Window]" = {}
_open_lock = threading.Lock()


def _after_fork_in_child() -> None:
    # The C library starts uninitialised in a forked child: the parent's windows are not open here.
    global _open_lock, _init_lock
    _open_lock = threading.Lock()
    _init_lock = threading.Lock()
    _open.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def begin_window(name: str, sync: SyncHook = None) -> Window:
    """Begins a window (nestable, may overlap others) and returns it.

    ``sync`` is called just before the boundary is taken, and again before the end; None uses the
    default hook (:func:`set_default_sync`), False disables it.
    """
    if not isinstance(name, str):
        raise TypeError(f"a window name must be a str, not {type(name).__name__}")
    hook = _resolve_sync(sync)
    _ensure_init()
    if hook is not None:
        hook()
    window = Window(_jt.begin(name), name, hook)
    with _open_lock:
        _open[window.id] = window
    return window


def _find(window: Union[Window, int, str]) -> Window:
    if isinstance(window, Window):
        return window
    if isinstance(window, str):
        with _open_lock:
            for candidate in reversed(_open.values()):
                if candidate.name == window:
                    return candidate
        raise Error(f"no open window named {window!r} was begun from Python",
                    _jt.ERR_UNKNOWN_WINDOW, "unknown_window")
    if isinstance(window, int) and not isinstance(window, bool):
        with _open_lock:
            known = _open.get(window)
        return known if known is not None else Window(window, "", None)
    raise TypeError("a window is a Window, its id or its name")


def _end(window: Window) -> Optional[Measurement]:
    with _open_lock:
        _open.pop(window.id, None)
    if window.id < 0:
        raise Error(f"unknown window {window.id}", _jt.ERR_UNKNOWN_WINDOW, "unknown_window")
    data = _jt.end(window.id)
    return None if data is None else _measurement(window.name, data)


def end_window(window: Union[Window, int, str], sync: SyncHook = None) -> Optional[Measurement]:
    """Ends a window and returns its :class:`Measurement`.

    ``window`` is what :func:`begin_window` returned, its id, or a name (the most recently begun
    open window of that name). Under a parent ``jouletrace run`` this returns None: the energy is
    in the parent's report. ``sync`` None calls the hook given at begin_window; False skips it.
    """
    target = _find(window)
    hook = target.sync if sync is None else _resolve_sync(sync)
    if hook is not None:
        hook()
    return _end(target)


def add_items(window: Union[Window, int, str], count: int) -> None:
    """Adds processed items (samples, images, tokens) to an open window."""
    target = _find(window)
    count = operator.index(count)
    if count < 0:
        raise Error(f"an item count cannot be negative (got {count})")
    if target.id < 0:
        raise Error(f"unknown window {target.id}", _jt.ERR_UNKNOWN_WINDOW, "unknown_window")
    if count >= 1 << 64:
        raise Error(f"an item count must be below 2**64 (got {count})")
    _jt.add_items(target.id, count)


# ---------------------------------------------------------------------------------------------
# Phases: context manager and decorator

_active: "contextvars.ContextVar[Tuple[phase, ...]]" = contextvars.ContextVar(
    "jouletrace_active_phases", default=())


def current_phase() -> Optional["phase"]:
    """The innermost phase open in this thread / task, or None (useful in decorated functions)."""
    stack = _active.get()
    return stack[-1] if stack else None


class phase:  # noqa: N801 (used like a function: `with jouletrace.phase("train"):`)
    """A named phase: ``with phase("train") as p: ...`` or ``@phase("infer")``.

    In a ``with`` block, ``p.add_items(n)`` counts items and, after the block, ``p.measurement``
    is the :class:`Measurement` (None under a parent ``jouletrace run``). The block's exception,
    if any, still ends the window and propagates. As a decorator, each call is its own window;
    ``func.phase.measurement`` is the last completed call's. ``sync`` is as in
    :func:`begin_window`.
    """

    def __init__(self, name: str, sync: SyncHook = None) -> None:
        if not isinstance(name, str):
            raise TypeError(f"a phase name must be a str, not {type(name).__name__}")
        _resolve_sync(sync)  # validates it now rather than at the first boundary
        self.name = name
        self.sync = sync
        self.window: Optional[Window] = None
        self.measurement: Optional[Measurement] = None

    def __enter__(self) -> "phase":
        if self.window is not None:
            raise Error(f"phase {self.name!r} is already open; nest a new phase object instead")
        self.measurement = None
        self.window = begin_window(self.name, self.sync)
        _active.set(_active.get() + (self,))
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        window, self.window = self.window, None
        if window is None:
            return False
        _active.set(tuple(p for p in _active.get() if p is not self))
        sync_error: Optional[BaseException] = None
        if window.sync is not None:
            try:
                window.sync()
            except BaseException as e:  # the window must end anyway
                if exc_type is None:
                    sync_error = e
        self.measurement = _end(window)
        if sync_error is not None:
            raise sync_error
        return False

    def add_items(self, count: int) -> None:
        if self.window is None:
            raise Error(f"phase {self.name!r} is not open", _jt.ERR_UNKNOWN_WINDOW, "unknown_window")
        add_items(self.window, count)

    def __call__(self, func: Callable) -> Callable:
        if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
            # The window would cover creating the generator, not running it.
            raise TypeError(f"phase({self.name!r}) cannot decorate the generator function "
                            f"{func.__qualname__}: use `with jouletrace.phase(...)` inside it")
        if inspect.iscoroutinefunction(func):
            @functools.wraps(func)
            async def async_wrapper(*args, **kwargs):
                p = phase(self.name, self.sync)
                try:
                    with p:
                        return await func(*args, **kwargs)
                finally:
                    self.measurement = p.measurement

            async_wrapper.phase = self  # type: ignore[attr-defined]
            return async_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            p = phase(self.name, self.sync)
            try:
                with p:
                    return func(*args, **kwargs)
            finally:
                self.measurement = p.measurement

        wrapper.phase = self  # type: ignore[attr-defined]
        return wrapper

    def __repr__(self) -> str:
        state = "open" if self.window is not None else "closed"
        return f"<jouletrace.phase {self.name!r} {state}>"
