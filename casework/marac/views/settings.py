"""The MARAC disclosure policy, set by an administrator: what each agency kind sees."""

from __future__ import annotations

from flask import abort, render_template, url_for
from flask_login import current_user

from ...core.access import require
from ...core.models import AGENCY_KINDS
from ...core.views import submit
from .. import disclosure
from ..forms import disclosure_rule_form_class
from ..models import DISCLOSURE_FIELDS, DISCLOSURE_ROLES


def _page(status: int = 200, **given):
    form_class = disclosure_rule_form_class()
    rows = disclosure.settings_rows()
    forms = {
        r.agency_kind: given.get(r.agency_kind)
        or form_class(
            formdata=None,
            prefix=r.agency_kind,
            version_id="" if r.version_id is None else str(r.version_id),
            **r.values,
        )
        for r in rows
    }
    return (
        render_template(
            "marac/disclosure_settings.html",
            rows=rows,
            forms=forms,
            roles=DISCLOSURE_ROLES,
            fields=DISCLOSURE_FIELDS,
        ),
        status,
    )


@require(disclosure.SETTINGS_CAPABILITY)
def disclosure_settings():
    return _page()


@require(disclosure.SETTINGS_CAPABILITY)
def disclosure_settings_save(agency_kind: str):
    if agency_kind not in AGENCY_KINDS:
        abort(404)
    form = disclosure_rule_form_class()(prefix=agency_kind)
    return submit(
        form,
        lambda: disclosure.update_rule(
            current_user,
            agency_kind,
            {c: getattr(form, c).data for c in disclosure.RULE_COLUMNS},
            form.submitted_version(),
        ),
        success=f"Saved what {AGENCY_KINDS[agency_kind].lower()} agencies see.",
        redirect_to=url_for("marac.disclosure_settings") + f"#kind-{agency_kind}",
        render=lambda status: _page(status, **{agency_kind: form}),
    )
