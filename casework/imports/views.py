"""Import pages: the kinds the user may import, their templates, and the upload form."""

from __future__ import annotations

from flask import abort, current_app, render_template, request
from flask_login import current_user

from ..core import audit, modules
from ..core import imports as im
from ..core.access import require
from ..core.exports import FORMATS, tabular_response
from . import bp
from .forms import ImportForm

CAPABILITY = "imports.use"


def _kinds() -> list[im.ImportKind]:
    return [k for k in modules.import_kinds() if current_user.can(k.capability)]


def _kind_or_404(name: str) -> im.ImportKind:
    kind = modules.import_kind(name)
    if kind is None:
        abort(404)
    if not current_user.can(kind.capability):
        audit.record_denial("access.denied", object_type="import", object_id=name[:60])
        abort(403)
    return kind


@bp.route("/")
@require(CAPABILITY)
def index():
    return render_template("imports/index.html", kinds=_kinds())


@bp.route("/<kind_name>/template.<fmt>")
@require(CAPABILITY)
def template(kind_name: str, fmt: str):
    kind = _kind_or_404(kind_name)
    if fmt not in FORMATS:
        abort(404)
    return tabular_response(kind.headers, [], f"{kind.name}-template", fmt, sheet_title=kind.label)


@bp.route("/<kind_name>", methods=["GET", "POST"])
@require(CAPABILITY)
def upload(kind_name: str):
    kind = _kind_or_404(kind_name)
    form = ImportForm()
    result = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            upload = form.file.data
            limit = current_app.config["IMPORT_MAX_BYTES"]
            data = upload.stream.read(limit + 1)
            result = im.run_import(
                current_user,
                kind.name,
                data,
                upload.filename or "",
                dry_run=form.mode.data != "import",
                max_rows=current_app.config["IMPORT_UPLOAD_MAX_ROWS"],
            )
            status = 200 if result.ok else 400
        else:
            status = 400
    return render_template("imports/upload.html", kind=kind, form=form, result=result), status
