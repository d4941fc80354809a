"""Marks library functions that a notebook asks students to write.

``@exercise("nb03_rnn_step_backward")`` records that the decorated function is the reference
answer of that graded exercise. The decorator returns the function unchanged; the registry it
fills lets the course tools (student bundles, per-exercise checks) find every exercised
function and the notebook that teaches it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)

_GRADE_ID = re.compile(r"^nb(\d\d)_[a-z0-9_]+$")

#: grade id -> "module:qualname" of the reference implementation
EXERCISES: dict[str, str] = {}


def exercise(grade_id: str) -> Callable[[F], F]:
    """Register the decorated function as the reference answer of exercise ``grade_id``.

    ``grade_id`` has the form ``nbNN_name`` (for example ``nb02_rnn_step_forward``); ``NN`` is the
    notebook that asks for it.
    """
    if not isinstance(grade_id, str) or not _GRADE_ID.match(grade_id):
        raise ValueError(f"exercise grade id must look like 'nb03_rnn_step_backward', got {grade_id!r}")

    def mark(func: F) -> F:
        EXERCISES[grade_id] = f"{func.__module__}:{func.__qualname__}"
        func.__rnnlm_exercise__ = grade_id  # type: ignore[attr-defined]
        return func

    return mark


def notebook_of(grade_id: str) -> int:
    """The notebook number that asks for exercise ``grade_id``."""
    m = _GRADE_ID.match(grade_id)
    if m is None:
        raise ValueError(f"not an exercise grade id: {grade_id!r}")
    return int(m.group(1))
