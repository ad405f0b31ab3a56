"""The partnership's IOM lists: offence categories and unit costs, strands, women's pathways."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template, request, url_for
from flask_login import current_user

from ...core.access import require
from ...core.services import get_or_404
from ...core.views import act_and_redirect, submit
from ...extensions import db
from .. import offending, settings
from ..forms import BAND_ROWS, CategoryForm, ScoringForm, StrandForm, tier_labels_form
from ..models import SCORE_FACTORS, OffenceCategory, Pathway, Strand

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
        s.code: given.get(f"strand-{s.code}")
        or StrandForm(formdata=None, obj=s, prefix=f"strand-{s.code}", fingerprint=settings.strand_fingerprint(s))
        for s in strands
    }
    tiers = settings.tier_labels()
    tier_form = given.get("tiers") or tier_labels_form(tiers)(
        formdata=None, prefix="tiers", fingerprint=settings.tiers_fingerprint(), **{t.code: t.label for t in tiers}
    )
    pathways_all = db.session.scalars(sa.select(Pathway).order_by(Pathway.sort_order)).all()
    return (
        render_template(
            "iom/settings.html",
            categories=categories,
            category_forms=category_forms,
            strands=strands,
            strand_forms=strand_forms,
            pathways=pathways_all,
            tiers=tiers,
            tier_form=tier_form,
            factors=settings.scoring_factors(),
            factor_labels=SCORE_FACTORS,
        ),
        status,
    )


@require("iom.settings.manage")
def settings_view():
    return _settings_page()


@require("iom.settings.manage")
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


@require("iom.settings.manage")
def settings_strand(code: str):

    strand = db.session.get(Strand, code) or get_or_404(Strand, "missing")
    form = StrandForm(prefix=f"strand-{strand.code}")

    def render(status: int):
        if status == 409:  # the next save is a deliberate one over the latest version
            form.fingerprint.data = settings.strand_fingerprint(strand)
        return _settings_page(status, **{f"strand-{strand.code}": form})

    return submit(
        form,
        lambda: settings.set_strand_description(
            current_user, strand, form.description.data, label=form.label.data, submitted=form.fingerprint.data
        ),
        success=lambda _: f"{strand.label} strand saved",
        redirect_to=url_for("iom.settings_view"),
        render=render,
    )


@require("iom.settings.manage")
def settings_tiers():
    form = tier_labels_form(settings.tier_labels())(prefix="tiers")

    def render(status: int):
        if status == 409:
            form.fingerprint.data = settings.tiers_fingerprint()
        return _settings_page(status, tiers=form)

    return submit(
        form,
        lambda: settings.set_tier_labels(
            current_user,
            {t.code: form[t.code].data for t in settings.tier_labels()},
            form.fingerprint.data,
        ),
        success="Tier labels saved",
        redirect_to=url_for("iom.settings_view"),
        render=render,
    )


def _scoring_form(formdata=None) -> ScoringForm:
    if formdata is not None:
        return ScoringForm()
    data = {"fingerprint": settings.matrix_fingerprint()}
    for factor in settings.scoring_factors():
        bands = [{"low": b.low, "high": b.high, "points": b.points} for b in factor.bands]
        bands += [{"low": None, "high": None, "points": None}] * (BAND_ROWS - len(bands))
        data[factor.code] = {"weight": factor.weight, "lookback_months": factor.lookback_months, "bands": bands}
    return ScoringForm(formdata=None, data=data)


def _scoring_page(form: ScoringForm, status: int = 200):
    return render_template("iom/scoring.html", form=form, factor_labels=SCORE_FACTORS), status


@require("iom.settings.manage")
def settings_scoring():
    if request.method == "GET":
        return _scoring_page(_scoring_form())
    form = _scoring_form(request.form)

    def entries():
        out = {}
        for code in SCORE_FACTORS:
            sub = form[code].form
            out[code] = settings.FactorEntry(
                weight=sub.weight.data,
                lookback_months=sub.lookback_months.data,
                bands=[
                    settings.BandRow(low=b.form.low.data, high=b.form.high.data, points=b.form.points.data)
                    for b in sub.bands
                ],
            )
        return out

    def render(status: int):
        if status == 409:
            form.fingerprint.data = settings.matrix_fingerprint()
        return _scoring_page(form, status)

    return submit(
        form,
        lambda: settings.update_matrix(current_user, entries(), form.fingerprint.data),
        success=lambda changed: "Scoring matrix saved; open nominations rescored" if changed else "No changes to save",
        redirect_to=url_for("iom.settings_view"),
        render=render,
    )


@require("iom.settings.manage")
def settings_pathway(code: str):

    pathway = db.session.get(Pathway, code) or get_or_404(Pathway, "missing")
    return act_and_redirect(
        lambda: settings.set_pathway_enabled(current_user, pathway, not pathway.is_enabled),
        success=f"{pathway.label} switched {'off' if pathway.is_enabled else 'on'}",
        redirect_to=url_for("iom.settings_view"),
    )
