"""The measure page's period chooser: calendar quarter, financial year or custom dates, with a
clear error (and no figures) for a bad period."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from casework.core import periods
from casework.core.models import AuditEvent
from casework.extensions import db
from tests.helpers import signed_in

from .conftest import offence, on_cohort


def _last_event():
    return db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "iom.measure.view").order_by(AuditEvent.seq.desc())
    ).first()


def test_default_is_the_last_complete_quarter(app, team):
    resp = signed_in(app, team.manager).get("/iom/measure")
    assert resp.status_code == 200
    expected = periods.previous(periods.quarter_containing(periods.local_today()))
    assert f"<h2>{expected.label}</h2>" in resp.text
    assert _last_event().data["details"]["period"]["start"] == expected.start.isoformat()


@pytest.mark.parametrize(
    ("query", "start", "end"),
    [
        ("kind=financial_year&year=2025", date(2025, 4, 1), date(2026, 3, 31)),
        ("kind=calendar_quarter&year=2025&quarter=2", date(2025, 4, 1), date(2025, 6, 30)),
        ("kind=custom&start=2025-02-10&end=2025-05-20", date(2025, 2, 10), date(2025, 5, 20)),
        ("start=2025-01-01&end=2025-03-31", date(2025, 1, 1), date(2025, 3, 31)),  # older links: custom dates
    ],
)
def test_each_kind_of_period(app, team, factory, query, start, end):
    _, offender = on_cohort(team, factory, date(2024, 1, 1))
    offence(team, offender, date(2025, 5, 1))
    client = signed_in(app, team.manager)
    resp = client.get(f"/iom/measure?{query}")
    assert resp.status_code == 200, resp.text
    period = _last_event().data["details"]["period"]
    assert (period["start"], period["end"]) == (start.isoformat(), end.isoformat())
    # The download link carries the same period and filters.
    csv = client.get(f"/iom/measure?{query}&format=csv&count=arrest")
    assert csv.status_code == 200
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "iom.measure.export").order_by(AuditEvent.seq.desc())
    ).first()
    assert event.data["details"]["period"]["start"] == start.isoformat() and event.data["details"]["count"] == "arrest"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("kind=custom&start=2025-05-01&end=2025-04-01", "end", "End date must be on or after the start date"),
        ("kind=custom&start=2025-05-01", "end", "Enter an end date"),
        ("kind=custom&start=2025-02-30&end=2025-05-01", "start", ""),
        ("kind=custom&start=2019-01-01&end=2025-01-01", "end", "5 years or shorter"),
        ("kind=financial_year&year=twenty", "year", "Enter the year as 4 numbers"),
        ("kind=financial_year&year=1899", "year", "Year must be between 2000 and 2100"),
        ("kind=calendar_quarter&year=2025&quarter=7", "quarter", "Select a quarter"),
        ("kind=weekly&year=2025", "kind", "Select a period"),
        ("kind=financial_year&year=2099", "year", "The period must start today or earlier"),
    ],
)
def test_bad_periods_are_clear_errors_without_figures(app, team, query, field, message):
    resp = signed_in(app, team.manager).get(f"/iom/measure?{query}")
    assert resp.status_code == 400
    assert "There is a problem" in resp.text and message in resp.text
    assert f'href="#{field}' in resp.text  # the summary links to the field
    assert "Cost avoided" not in resp.text and "Correct the period" in resp.text


def test_future_custom_start_and_unknown_format(app, team):
    client = signed_in(app, team.manager)
    tomorrow = periods.local_today() + timedelta(days=1)
    resp = client.get(f"/iom/measure?kind=custom&start={tomorrow}&end={tomorrow + timedelta(days=30)}")
    assert resp.status_code == 400 and "must start today or earlier" in resp.text
    assert client.get("/iom/measure?format=pdf").status_code == 400
