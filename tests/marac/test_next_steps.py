"""Every page has a next step: the DASH result offers "Refer to MARAC" and "Back to person",
a person's page lists the DASH assessments the user may see (through the module's
person-page hook), and the referral form starts with the latest DASH selected."""

from __future__ import annotations

import re
from datetime import date, timedelta

from tests.helpers import signed_in

from .conftest import make_referral, record_dash


def test_dash_result_offers_referral_and_the_way_back(app, marac, factory):
    victim = factory.person(marac.idva, surname="Nextstep")
    a = record_dash(marac.idva, victim, 15)
    page = signed_in(app, marac.idva).get(f"/marac/dash/{a.id}")
    assert page.status_code == 200
    assert f'href="/marac/referrals/new/{victim.id}?dash_id={a.id}"' in page.text and "Refer to MARAC" in page.text
    assert f'href="/people/{victim.id}"' in page.text and "Back to person" in page.text


def test_dash_result_of_a_referred_case_links_the_case_instead(app, marac, factory):
    victim = factory.person(marac.idva, surname="Referred")
    a = record_dash(marac.idva, victim, 15)
    ref = make_referral(marac.idva, victim, dash_assessment=a)
    page = signed_in(app, marac.idva).get(f"/marac/dash/{a.id}")
    assert f'href="/marac/cases/{ref.case_id}"' in page.text and "Refer to MARAC" not in page.text


def test_person_page_lists_only_the_dash_assessments_the_user_may_see(app, marac, factory):
    victim = factory.person(marac.idva, surname="Listed")
    referred = record_dash(marac.idva, victim, 15, on=date.today() - timedelta(days=3))
    make_referral(marac.idva, victim, dash_assessment=referred)
    unlinked = record_dash(marac.idva, victim, 4)  # not on a case: only the IDVA service sees it
    idva_page = signed_in(app, marac.idva).get(f"/people/{victim.id}")
    assert "DASH risk assessments" in idva_page.text
    assert f'href="/marac/dash/{referred.id}"' in idva_page.text
    assert f'href="/marac/dash/{unlinked.id}"' in idva_page.text
    assert "Refer to MARAC" in idva_page.text and "Record a DASH assessment" in idva_page.text
    coord_page = signed_in(app, marac.coordinator).get(f"/people/{victim.id}")
    assert coord_page.status_code == 200
    assert f'href="/marac/dash/{referred.id}"' in coord_page.text
    assert f'href="/marac/dash/{unlinked.id}"' not in coord_page.text


def test_referral_form_preselects_the_latest_visible_dash(app, marac, factory):
    victim = factory.person(marac.idva, surname="Preselect")
    older = record_dash(marac.idva, victim, 15, on=date.today() - timedelta(days=10))
    latest = record_dash(marac.idva, victim, 16, on=date.today() - timedelta(days=1))
    client = signed_in(app, marac.idva)

    def selected(url):
        html = client.get(url).text
        return re.search(r'<option selected value="(\d+)"|<option value="(\d+)" selected', html)

    match = selected(f"/marac/referrals/new/{victim.id}")
    assert match and str(latest.id) in match.groups()
    match = selected(f"/marac/referrals/new/{victim.id}?dash_id={older.id}")
    assert match and str(older.id) in match.groups()
    # An id the user may not see (or that does not exist) falls back to the latest.
    match = selected(f"/marac/referrals/new/{victim.id}?dash_id=999999")
    assert match and str(latest.id) in match.groups()
