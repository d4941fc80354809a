"""Marks library functions that a notebook asks students to write.

``@exercise("nb03_rnn_step_backward")`` records that the decorated function is the reference
answer of that graded exercise, or another public function that computes its result (under another
name, e.g. the perplexity from natural logs for an exercise asking for it from log2): a student
bundle stubs every one of them, so none hands out the answer. The decorator returns the function
unchanged; the registry it fills lets the course tools (student bundles, per-exercise checks) find
every exercised function and the notebook that teaches it.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable)

_GRADE_ID = re.compile(r"^nb(\d\d)_[a-z0-9_]+$")

#: grade id -> "module:qualname" of every function marked for it, in the order they were marked
EXERCISES: dict[str, tuple[str, ...]] = {}


def exercise(grade_id: str, *, stub: bool = False) -> Callable[[F], F]:
    """Register the decorated function as the reference answer of exercise ``grade_id``.

    ``grade_id`` has the form ``nbNN_name`` (for example ``nb02_rnn_step_forward``); ``NN`` is the
    notebook that asks for it.

    ``stub=True`` marks a function whose body a student bundle replaced by
    ``raise NotImplementedError``: calls then go to the student's own function of the same name,
    defined in the notebook (the IPython namespace, else ``__main__``), so the library's models run
    on the student's code; with none defined (or for a function of another name than the one the
    student writes), the stub raises.
    """
    if not isinstance(grade_id, str) or not _GRADE_ID.match(grade_id):
        raise ValueError(f"exercise grade id must look like 'nb03_rnn_step_backward', got {grade_id!r}")

    def mark(func: F) -> F:
        target = f"{func.__module__}:{func.__qualname__}"
        if target not in EXERCISES.get(grade_id, ()):
            EXERCISES[grade_id] = (*EXERCISES.get(grade_id, ()), target)
        func.__rnnlm_exercise__ = grade_id  # type: ignore[attr-defined]
        if not stub:
            return func

        @functools.wraps(func)
        def stand_in(*args: Any, **kwargs: Any) -> Any:
            own = students_function(func.__name__, exclude=(stand_in, func))
            return (own or func)(*args, **kwargs)

        stand_in.__rnnlm_stub__ = True  # type: ignore[attr-defined]
        return stand_in  # type: ignore[return-value]

    return mark


def _user_namespace() -> dict[str, Any]:
    """The namespace a notebook's cells run in (IPython's), else ``__main__``'s."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None  # type: ignore[attr-defined]
    if shell is not None:
        return shell.user_ns
    main = sys.modules.get("__main__")
    return vars(main) if main is not None else {}


def students_function(name: str, exclude: tuple[Callable, ...] = ()) -> Callable | None:
    """The student's own function ``name`` in the notebook's namespace, or None (also when that
    name is the library's function itself, or another stub)."""
    candidate = _user_namespace().get(name)
    if not callable(candidate) or candidate in exclude or getattr(candidate, "__rnnlm_stub__", False):
        return None
    if getattr(candidate, "__wrapped__", None) in exclude:
        return None
    return candidate


def notebook_of(grade_id: str) -> int:
    """The notebook number that asks for exercise ``grade_id``."""
    m = _GRADE_ID.match(grade_id)
    if m is None:
        raise ValueError(f"not an exercise grade id: {grade_id!r}")
    return int(m.group(1))


@contextlib.contextmanager
def uses_exercises() -> Iterator[None]:
    """A notebook's demonstration cell that runs code a student writes: ``with rnnlm.uses_exercises():``.

    With the full library the body just runs. In a student bundle the library calls the student's own
    functions, so the body may reach an exercise that is not done yet: its ``NotImplementedError``
    (or the ``NameError`` of a variable an earlier such cell never set) becomes one line saying what
    is missing, and the notebook runs on. Any other error is raised as usual.
    """
    try:
        yield
    except NotImplementedError as exc:
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        where = tb.tb_frame.f_code.co_name if tb is not None else ""
        what = str(exc) or f"{where or 'an exercise'} still raises NotImplementedError"
        print(f"NOT DONE: this cell runs your exercises, and {what}; run it again once that one is done.")
    except NameError as exc:
        print(f"NOT DONE: {exc}: a cell above did not finish (an exercise it runs is not done yet).")
