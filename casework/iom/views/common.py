"""Choices and small lookups the IOM pages share."""

from __future__ import annotations

import sqlalchemy as sa

from ...core import directory
from ...core.cases import person_ids_of_cases
from ...core.forms import choices
from ...extensions import db
from .. import cohort, pathways
from ..common import prepared
from ..models import Strand


@prepared
def _strands_query() -> sa.Select:
    return sa.select(Strand.code, Strand.label).order_by(Strand.sort_order)


def _strand_rows() -> list[tuple[str, str]]:
    """(code, label) of every strand in the partnership's order."""
    return [(c, lb) for c, lb in db.session.execute(_strands_query())]


def _strands(blank: str | None = None, rows: list[tuple[str, str]] | None = None):
    return choices(_strand_rows() if rows is None else rows, blank=blank)


def _agencies(blank: str):
    return directory.agency_choices(blank)


def _officers(blank: str):
    return choices([(str(i), f"{name} ({agency})") for i, name, agency in cohort.lead_officer_names()], blank=blank)


def _pathway_choices(user):
    return choices([(p.code, p.label) for p in pathways.enabled_pathways()], blank="Select the pathway")


def _strand_labels():
    return _strand_rows()


def _people_of(case_ids):

    return person_ids_of_cases(case_ids)
