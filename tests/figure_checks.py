"""What every plots test checks of a figure: it draws, and what its legend says."""

from __future__ import annotations

import io
from typing import Any

from matplotlib.figure import Figure


def renders(fig: Figure) -> None:
    """The figure draws to PNG without error (catches bad artists that only fail at draw time)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def legend(ax: Any) -> list[str]:
    """The texts of an axes' legend."""
    return [t.get_text() for t in ax.get_legend().get_texts()]
