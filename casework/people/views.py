from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..core import disclosure, modules
from ..core.access import can_see_contact_details, require
from ..core.forms import attach_errors, choices, page_arg
from ..core.policy import working_kinds
from ..core.services import ConflictError, ServiceError
from ..extensions import db
from . import bp, services
from .forms import PersonForm, PersonSearchForm


@bp.route("/", methods=["GET", "POST"])
@require("people.view")
def index():
    form = PersonSearchForm()
    results = None
    if request.method == "POST":
        if form.validate_on_submit():
            results = services.search(
                current_user,
                name=form.name.data,
                reference=form.reference.data,
                dob=form.dob.data,
                phone=form.phone.data,
            )
        else:
            return render_template("people/index.html", form=form, page=None, results=None, shown={}), 400
    page = services.people_page(current_user, page_arg(), 25)
    shown = disclosure.shown_all(current_user, page.items if page else [])
    if results is not None:
        shown.update(results.shown)
    return render_template("people/index.html", form=form, page=page, results=results, shown=shown)


@bp.route("/new", methods=["GET", "POST"])
@require("people.create")
def new():
    form = PersonForm()
    kinds = working_kinds(current_user)
    form.kind.choices = choices({k: modules.case_kinds()[k] for k in kinds}, blank="Choose" if len(kinds) > 1 else None)
    if len(kinds) == 1:
        form.kind.data = kinds[0]
    duplicates = None
    if form.validate_on_submit():
        data = form.to_data()
        if form.confirm_new.data != "1":
            duplicates = services.find_duplicates(
                current_user, surname=data["surname"], dob=data["dob"], phone=data["phone"]
            )
        if duplicates is None or not duplicates.any:
            try:
                with db.session.begin_nested():
                    person = services.create_person(current_user, data, kind=form.kind.data or None)
            except ServiceError as exc:
                attach_errors(form, exc)
            else:
                flash(f"Person record {person.reference} created.", "success")
                return redirect(url_for("people.view", person_id=person.id))
        else:
            form.confirm_new.data = "1"
    status = 400 if form.errors else 200
    return render_template("people/new.html", form=form, duplicates=duplicates, several_kinds=len(kinds) > 1), status


@bp.route("/<int:person_id>")
@require("people.view")
def view(person_id: int):
    person, can_act = services.load_person_page(current_user, person_id)
    return render_template(
        "people/view.html",
        person=person,
        shown=disclosure.shown(current_user, person),
        cases=services.visible_cases_of(current_user, person),
        can_act=can_act,
        sections=modules.person_sections(current_user, person, can_act),
    )


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@require("people.edit")
def edit(person_id: int):
    person = services.load_person(current_user, person_id, log=request.method == "GET", act=True)
    show_contact = can_see_contact_details(current_user, person)
    form = PersonForm()
    if request.method == "GET":
        form.load(person)
    elif form.validate_on_submit():
        try:
            changed = services.update_person(current_user, person, form.to_data(), form.submitted_version())
        except ConflictError:
            flash(
                "Someone else changed this record while you were editing. Your changes have not been saved: "
                "they are shown below. Open the record again to see the latest version.",
                "error",
            )
            return render_template(
                "people/edit.html", form=form, person=person, show_contact=show_contact, conflict=True
            ), 409
        flash("Changes saved." if changed else "No changes to save.", "success")
        return redirect(url_for("people.view", person_id=person.id))
    status = 400 if form.errors else 200
    return render_template("people/edit.html", form=form, person=person, show_contact=show_contact), status
