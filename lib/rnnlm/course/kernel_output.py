"""Inside a graded kernel: cut stdout and stderr at a byte budget as they are written.

The grader keeps at most ``Limits.max_output_bytes`` of a notebook's outputs, but a notebook that
prints hundreds of megabytes would still push all of them through the kernel's message queue, and
whether the kernel survives that (memory, the queue's high-water mark) depends on how fast the
grader reads, that is on the machine's load. :func:`install` runs in the kernel before any student
code (the sandbox passes it to ``ipykernel`` as an ``exec_lines`` entry): past the budget, one note
is written and everything else printed is dropped where it is written, so a huge print costs nothing
but the dropped text, on a busy machine as on an idle one.

This module imports nothing but the standard library.
"""

from __future__ import annotations

import sys
from typing import Any

#: Written once, when the budget is spent.
NOTE = "\n[output cut: this notebook printed more than {limit} bytes; the rest is not shown]\n"


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit
        self.limit = limit
        self.noted = False

    def wrap(self, stream: Any) -> None:
        """Route ``stream.write`` through the budget (once: a wrapped stream is left as it is)."""
        original = stream.write
        if getattr(original, "_rnnlm_budget", None) is self:
            return

        def write(text: str) -> int:
            size = len(text.encode("utf-8", "replace")) if isinstance(text, str) else len(text)
            if size <= self.left:
                self.left -= size
                return original(text)
            if not self.noted:
                self.noted = True
                head = text[: max(self.left, 0)] if isinstance(text, str) else ""
                self.left = 0
                original(head + NOTE.format(limit=self.limit))
            return len(text)

        write._rnnlm_budget = self  # type: ignore[attr-defined]
        stream.write = write

    def wrap_streams(self, *_args: Any) -> None:
        for stream in (sys.stdout, sys.stderr):
            self.wrap(stream)


def install(limit: int) -> None:
    """Cap what ``sys.stdout`` and ``sys.stderr`` carry, together, at ``limit`` bytes."""
    if limit < 1:
        raise ValueError(f"the output budget must be at least 1 byte, got {limit}")
    budget = _Budget(limit)
    budget.wrap_streams()
    # IPython puts its own wrapper on the streams' write (to tee output into its history) after
    # start-up code like this has run: wrap again before every cell, around whatever is there then.
    shell = sys.modules["IPython"].get_ipython() if "IPython" in sys.modules else None
    if shell is not None:
        shell.events.register("pre_run_cell", budget.wrap_streams)
