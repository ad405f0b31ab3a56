"""IOM demo data for ``make run``."""

from __future__ import annotations

from ..demo import DemoContext


def seed(context: DemoContext) -> None:
    return None
