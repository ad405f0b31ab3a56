"""Choices and small lookups the IOM pages share."""

from __future__ import annotations

import sqlalchemy as sa

from ...core import directory
from ...core.cases import person_ids_of_cases
from ...core.forms import choices
from ...extensions import db
from .. import cohort, pathways
from ..models import Strand


def _strands(blank: str | None = None):
    rows = db.session.execute(sa.select(Strand.code, Strand.label).order_by(Strand.sort_order)).all()
    return choices([(c, lb) for c, lb in rows], blank=blank)


def _agencies(blank: str):
    return directory.agency_choices(blank)


def _officers(blank: str):
    return choices([(str(u.id), f"{u.display_name} ({u.agency.name})") for u in cohort.lead_officers()], blank=blank)


def _pathway_choices(user):
    return choices([(p.code, p.label) for p in pathways.enabled_pathways()], blank="Select the pathway")


def _strand_labels():
    return db.session.execute(sa.select(Strand.code, Strand.label)).all()


def _people_of(case_ids):

    return person_ids_of_cases(case_ids)
