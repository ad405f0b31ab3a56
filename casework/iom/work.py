"""What IOM adds to "My work"."""

from __future__ import annotations

from datetime import date

from ..core.models import User
from ..core.modules import WorkSection


def my_work(user: User, today: date) -> list[WorkSection]:
    return []
