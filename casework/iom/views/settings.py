"""The partnership's IOM lists: offence categories and unit costs, strands, women's pathways."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template, url_for
from flask_login import current_user

from ...core.access import require
from ...core.services import get_or_404
from ...core.views import act_and_redirect, submit
from ...extensions import db
from .. import offending, settings
from ..forms import CategoryForm, StrandForm
from ..models import OffenceCategory, Pathway, Strand

# --- the partnership's lists ------------------------------------------------------------------


def _settings_page(status: int = 200, **given):

    categories = offending.categories(active_only=False)
    category_forms = {
        c.id: given.get(f"category-{c.id}")
        or CategoryForm(formdata=None, obj=c, prefix=f"category-{c.id}", version_id=c.version_id)
        for c in categories
    }
    strands = db.session.scalars(sa.select(Strand).order_by(Strand.sort_order)).all()
    strand_forms = {
        s.code: given.get(f"strand-{s.code}") or StrandForm(formdata=None, obj=s, prefix=f"strand-{s.code}")
        for s in strands
    }
    pathways_all = db.session.scalars(sa.select(Pathway).order_by(Pathway.sort_order)).all()
    return (
        render_template(
            "iom/settings.html",
            categories=categories,
            category_forms=category_forms,
            strands=strands,
            strand_forms=strand_forms,
            pathways=pathways_all,
        ),
        status,
    )


@require("iom.cohort.manage")
def settings_view():
    return _settings_page()


@require("iom.cohort.manage")
def settings_category(category_id: int):

    category = get_or_404(OffenceCategory, category_id)
    form = CategoryForm(prefix=f"category-{category.id}")
    return submit(
        form,
        lambda: settings.update_category(
            current_user,
            category,
            {
                "gravity": form.gravity.data,
                "neighbourhood": bool(form.neighbourhood.data),
                "unit_cost": form.unit_cost.data,
                "cost_source": form.cost_source.data,
            },
            form.submitted_version(),
        ),
        success=f"{category.label} saved",
        redirect_to=url_for("iom.settings_view"),
        render=lambda status: _settings_page(status, **{f"category-{category.id}": form}),
    )


@require("iom.cohort.manage")
def settings_strand(code: str):

    strand = db.session.get(Strand, code) or get_or_404(Strand, "missing")
    form = StrandForm(prefix=f"strand-{strand.code}")
    return submit(
        form,
        lambda: settings.set_strand_description(current_user, strand, form.description.data),
        success=f"{strand.label} description saved",
        redirect_to=url_for("iom.settings_view"),
        render=lambda status: _settings_page(status, **{f"strand-{strand.code}": form}),
    )


@require("iom.cohort.manage")
def settings_pathway(code: str):

    pathway = db.session.get(Pathway, code) or get_or_404(Pathway, "missing")
    return act_and_redirect(
        lambda: settings.set_pathway_enabled(current_user, pathway, not pathway.is_enabled),
        success=f"{pathway.label} switched {'off' if pathway.is_enabled else 'on'}",
        redirect_to=url_for("iom.settings_view"),
    )
