"""Arbitrary input to the sign-in, two-factor, enrolment and people-search forms never
gives a server error: every answer is a page, a form error or a redirect."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import PASSWORD, csrf_token, signed_in

FUZZ = settings(
    max_examples=60,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text of every kind (hypothesis includes NUL, combining marks, right-to-left text, emoji),
# plus values near the edges the forms care about.
any_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=12),  # digits of any script
    st.sampled_from(
        [
            "١٢٣٤٥٦",
            "１２３４５６",
            " 123 456 ",
            "123456\x00",
            "x" * 129,
            "x" * 257,
            "1990-02-30",
            "0000-00-00",
            "+44 (0)7700 900123",
            "' OR 1=1 --",
            "\ud7ff\ue000",
        ]
    ),
)


@pytest.fixture
def no_throttle(app):
    """Every fuzzed attempt reaches the whole sign-in path instead of an early wait."""
    app.config.update(LOGIN_FREE_FAILURES=10**6, LOGIN_ACCOUNT_FREE_FAILURES=10**6, LOGIN_IP_MAX_ACCOUNTS=10**6)


def _assert_handled(resp) -> None:
    assert resp.status_code < 500, resp.status_code
    assert resp.status_code in (200, 302, 400, 429)


@given(email=st.one_of(any_text, st.emails()), password=any_text)
@FUZZ
def test_sign_in_form(app, factory, no_throttle, email, password):
    client = app.test_client()
    token = csrf_token(client.get("/login").text)
    _assert_handled(client.post("/login", data={"csrf_token": token, "email": email, "password": password}))


@pytest.mark.parametrize("enrolled", [True, False], ids=["code", "enrolment"])
def test_code_and_enrolment_forms(app, factory, no_throttle, enrolled):
    user = factory.user("idva", enrolled=enrolled)
    client = app.test_client()
    token = csrf_token(client.get("/login").text)
    resp = client.post("/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    url = "/login/code" if enrolled else "/login/enrol"
    assert resp.headers["Location"].endswith(url)
    token = csrf_token(client.get(url).text)

    @given(code=any_text)
    @FUZZ
    def post(code):
        _assert_handled(client.post(url, data={"csrf_token": token, "code": code}))

    post()


def test_people_search_form(app, factory):
    client = signed_in(app, factory.user("marac_rep"))
    token = csrf_token(client.get("/people/").text)

    @given(name=any_text, reference=any_text, dob=any_text, phone=any_text)
    @FUZZ
    def post(name, reference, dob, phone):
        data = {"csrf_token": token, "name": name, "reference": reference, "dob": dob, "phone": phone}
        _assert_handled(client.post("/people/", data=data))

    post()
