"""Every ASB page on one screen: URL, view and methods (views live in the modules below).

Views are thin: parse the request, call a service, render. Each declares its
capability with ``require``; the services check object access again.
"""

from .. import bp
from . import cases, lists, meetings

GP = ["GET", "POST"]

bp.add_url_rule("/", "index", lists.index)
bp.add_url_rule("/repeat-victims", "repeat_victims", lists.repeat_victims)
bp.add_url_rule("/incidents", "incident_list", lists.incident_list)
bp.add_url_rule("/team", "team", lists.team)
bp.add_url_rule("/incidents/new/<int:person_id>", "incident_new", cases.incident_new, methods=GP)
bp.add_url_rule("/incidents/<int:incident_id>/remove", "incident_delete", cases.incident_delete, methods=GP)
bp.add_url_rule("/cases/<int:case_id>", "case_view", cases.case_view)
bp.add_url_rule("/cases/<int:case_id>/incidents/download", "case_incidents_download", cases.case_incidents_download)
bp.add_url_rule("/cases/<int:case_id>/incidents", "case_incident_new", cases.case_incident_new, methods=GP)
bp.add_url_rule("/cases/<int:case_id>/link", "link", cases.link, methods=["POST"])
bp.add_url_rule("/cases/<int:case_id>/risk", "risk", cases.risk_assess, methods=GP)
bp.add_url_rule("/cases/<int:case_id>/risk/history", "risk_history", cases.risk_history)
bp.add_url_rule("/cases/<int:case_id>/plan", "plan_new", cases.plan_new, methods=GP)
bp.add_url_rule("/cases/<int:case_id>/plan/<int:plan_id>/items", "intervention", cases.intervention, methods=GP)
bp.add_url_rule("/cases/<int:case_id>/plan/<int:plan_id>/review", "plan_review", cases.plan_review, methods=GP)
bp.add_url_rule("/cases/<int:case_id>/close", "close", cases.close, methods=GP)
bp.add_url_rule("/cases/<int:case_id>/contacts", "contact", cases.contact, methods=GP)
bp.add_url_rule("/cases/<int:case_id>/perpetrator-actions", "perpetrator_action", cases.perpetrator_action, methods=GP)
bp.add_url_rule(
    "/cases/<int:case_id>/perpetrator-actions/<int:action_id>/status",
    "perpetrator_action_status",
    cases.perpetrator_action_status,
    methods=GP,
)
bp.add_url_rule("/cases/<int:case_id>/perpetrator-actions/<int:action_id>/breach", "breach", cases.breach, methods=GP)
bp.add_url_rule("/meetings", "meeting_list", meetings.meeting_list)
bp.add_url_rule("/meetings/new", "meeting_new", meetings.meeting_new, methods=["POST"])
bp.add_url_rule("/meetings/<int:meeting_id>", "meeting_view", meetings.meeting_view)
bp.add_url_rule("/meetings/<int:meeting_id>/list", "meeting_list_case", meetings.meeting_list_case, methods=["POST"])
bp.add_url_rule("/meetings/<int:meeting_id>/actions", "meeting_action", meetings.meeting_action, methods=["POST"])
bp.add_url_rule(
    "/meetings/<int:meeting_id>/attendance", "meeting_attendance", meetings.meeting_attendance, methods=["POST"]
)
bp.add_url_rule("/meetings/<int:meeting_id>/held", "meeting_held", meetings.meeting_held, methods=["POST"])
bp.add_url_rule("/meetings/items/<int:item_id>/minutes", "meeting_minutes", meetings.meeting_minutes, methods=GP)
