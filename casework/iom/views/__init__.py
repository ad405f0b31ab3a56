"""Every IOM page on one screen: URL, view and methods (views live in the modules below).

Views are thin: parse the request, call a service, render. Each declares its
capability with ``require``; the services check object access again.
"""

from .. import bp
from . import cohort, measure, panel, settings

bp.add_url_rule("/settings", "settings_view", settings.settings_view)
bp.add_url_rule(
    "/settings/categories/<int:category_id>", "settings_category", settings.settings_category, methods=["POST"]
)
bp.add_url_rule("/settings/strands/<code>", "settings_strand", settings.settings_strand, methods=["POST"])
bp.add_url_rule("/settings/tiers", "settings_tiers", settings.settings_tiers, methods=["POST"])
bp.add_url_rule("/settings/scoring", "settings_scoring", settings.settings_scoring, methods=["GET", "POST"])
bp.add_url_rule("/settings/pathways/<code>", "settings_pathway", settings.settings_pathway, methods=["POST"])
bp.add_url_rule("/panel/<int:meeting_id>/attendance", "panel_attendance", panel.panel_attendance, methods=["POST"])
bp.add_url_rule("/panel/<int:meeting_id>/held", "panel_held", panel.panel_held, methods=["POST"])
bp.add_url_rule("/panel/items/<int:item_id>/minutes", "panel_minutes", panel.panel_minutes, methods=["GET", "POST"])
bp.add_url_rule("/panel", "panel_list", panel.panel_list)
bp.add_url_rule("/panel/new", "panel_new", panel.panel_new, methods=["POST"])
bp.add_url_rule("/panel/<int:meeting_id>", "panel_view", panel.panel_view)
bp.add_url_rule("/panel/<int:meeting_id>/agenda", "panel_build", panel.panel_build, methods=["POST"])
bp.add_url_rule("/panel/<int:meeting_id>/agenda.pdf", "panel_agenda_pdf", panel.panel_agenda_pdf)
bp.add_url_rule("/panel/<int:meeting_id>/minutes.pdf", "panel_minutes_pdf", panel.panel_minutes_pdf)
bp.add_url_rule(
    "/panel/<int:meeting_id>/minutes-circulation.pdf",
    "panel_minutes_circulation_pdf",
    panel.panel_minutes_pdf,
    defaults={"circulation": True},
)
bp.add_url_rule("/panel/<int:meeting_id>/actions", "panel_action", panel.panel_action, methods=["POST"])
bp.add_url_rule("/", "index", cohort.index)
bp.add_url_rule("/caseloads", "caseloads", cohort.caseloads)
bp.add_url_rule("/nominations", "nomination_list", cohort.nomination_list)
bp.add_url_rule("/nominate/<int:person_id>", "nominate", cohort.nominate, methods=["GET", "POST"])
bp.add_url_rule("/cases/<int:case_id>", "case_view", cohort.case_view)
bp.add_url_rule("/cases/<int:case_id>/decision", "decision", cohort.decision, methods=["GET", "POST"])
bp.add_url_rule("/cases/<int:case_id>/deselect", "deselect", cohort.deselect, methods=["GET", "POST"])
bp.add_url_rule("/cases/<int:case_id>/close", "close", cohort.close_record, methods=["GET", "POST"])
bp.add_url_rule("/cases/<int:case_id>/tier", "tier", cohort.tier, methods=["GET", "POST"])
bp.add_url_rule("/cases/<int:case_id>/supervision", "supervision", cohort.supervision, methods=["GET", "POST"])
bp.add_url_rule("/cases/<int:case_id>/contacts", "contact", cohort.contact, methods=["GET", "POST"])
bp.add_url_rule("/cases/<int:case_id>/offences", "offence", cohort.offence, methods=["GET", "POST"])
bp.add_url_rule("/cases/<int:case_id>/pathways", "pathway", cohort.pathway, methods=["GET", "POST"])
bp.add_url_rule("/cases/<int:case_id>/interventions", "intervention", cohort.intervention, methods=["GET", "POST"])
bp.add_url_rule("/measure", "measure", measure.measure_view)
