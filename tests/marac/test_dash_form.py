"""The DASH form: one question per row, the note behind a disclosure, and one clear
"Select whether…" error per unanswered question, all at once."""

from __future__ import annotations

import re
from datetime import date

from casework.marac import dash
from tests.helpers import csrf_token, signed_in


def _completed_today() -> dict:
    today = date.today()
    return {
        "completed_on": today.isoformat(),
        "completed_on-day": str(today.day),
        "completed_on-month": str(today.month),
        "completed_on-year": str(today.year),
    }


def test_every_unanswered_question_gets_its_own_clear_error(app, marac, factory):
    victim = factory.person(marac.idva, surname="Dashform")
    client = signed_in(app, marac.idva)
    url = f"/marac/people/{victim.id}/dash/new"
    page = client.get(url)
    assert page.status_code == 200
    questions = dash.checklist().questions
    assert page.text.count('<li class="dash-question') == len(questions)
    assert page.text.count('<details class="dash-note"') == len(questions)
    codes = [q.code for q in questions]
    data = {"csrf_token": csrf_token(page.text)} | _completed_today()
    data |= {f"q_{c}": "no" for c in codes[2:]}  # the first two left unanswered
    data["n_weapons"] = "Knife in the kitchen drawer"
    resp = client.post(url, data=data)
    assert resp.status_code == 400
    summary = resp.text.split('class="error-summary"')[1].split("</div>")[0]
    assert f'href="#q_{codes[0]}"' in summary and f'href="#q_{codes[1]}"' in summary
    assert "Select whether the victim is very frightened" in summary
    assert "Answer:" not in resp.text and "This field is required" not in resp.text
    assert len(re.findall(r'<p id="q_\w+-error" class="field-error">', resp.text)) == 2
    # Answers and notes typed are kept; a note with text is shown open.
    assert re.search(r'<details class="dash-note" open>\s*<summary>Note[^\n]*\(added\)', resp.text)
    assert "Knife in the kitchen drawer" in resp.text


def test_a_question_without_its_own_error_wording_says_what_to_do():
    q = dash.Question("x", "Something short", "Is it?")
    assert q.missing_message.startswith("Select yes, no or not known for")
    assert "something short" in q.missing_message.lower()


def test_the_form_saves_when_every_question_is_answered(app, marac, factory):
    victim = factory.person(marac.idva, surname="Dashsave")
    client = signed_in(app, marac.idva)
    url = f"/marac/people/{victim.id}/dash/new"
    data = {"csrf_token": csrf_token(client.get(url).text)} | _completed_today()
    data |= {f"q_{c}": "yes" for c in dash.checklist().codes}
    resp = client.post(url, data=data)
    assert resp.status_code == 302 and "/marac/dash/" in resp.location
