"""Every MARAC page, on one screen: URL, view and methods (views live in the modules below).

Views are thin: parse the request, call a service, render. Each declares its
capability with ``require``; the object checks happen again in the services.
"""

from .. import bp
from . import actions, cases, meetings, reports, settings

# cases
bp.add_url_rule("/", view_func=cases.dashboard)
bp.add_url_rule("/cases", view_func=cases.case_list, methods=["GET", "POST"])
bp.add_url_rule("/referrals/new/<int:person_id>", view_func=cases.referral_new, methods=["GET", "POST"])
bp.add_url_rule("/cases/<int:case_id>", view_func=cases.case_view)
bp.add_url_rule("/cases/<int:case_id>/decision", view_func=cases.case_decision, methods=["POST"])
bp.add_url_rule("/cases/<int:case_id>/repeat", view_func=cases.case_repeat, methods=["POST"])
bp.add_url_rule("/cases/<int:case_id>/allocate", view_func=cases.case_allocate, methods=["POST"])
bp.add_url_rule("/cases/<int:case_id>/members", view_func=cases.case_member_add, methods=["POST"])
bp.add_url_rule(
    "/cases/<int:case_id>/members/<int:user_id>/remove", view_func=cases.case_member_remove, methods=["POST"]
)
bp.add_url_rule("/cases/<int:case_id>/contacts", view_func=cases.case_contact, methods=["POST"])
bp.add_url_rule("/cases/<int:case_id>/plan", view_func=cases.plan_create, methods=["POST"])
bp.add_url_rule("/plans/<int:plan_id>/items", view_func=cases.plan_item_add, methods=["POST"])
bp.add_url_rule("/plan-items/<int:item_id>/status", view_func=cases.plan_item_status, methods=["POST"])
bp.add_url_rule("/plans/<int:plan_id>/review", view_func=cases.plan_review, methods=["POST"])
bp.add_url_rule("/cases/<int:case_id>/transfer-out", view_func=cases.case_transfer_out, methods=["POST"])
bp.add_url_rule("/cases/<int:case_id>/close", view_func=cases.case_close, methods=["POST"])
bp.add_url_rule("/cases/<int:case_id>/address-release", view_func=cases.case_address_release, methods=["POST"])
bp.add_url_rule(
    "/cases/<int:case_id>/address-release/withdraw", view_func=cases.case_address_withdraw, methods=["POST"]
)
bp.add_url_rule("/people/<int:person_id>/dash/new", view_func=cases.dash_new, methods=["GET", "POST"])
bp.add_url_rule("/dash/<int:dash_id>", view_func=cases.dash_view)
bp.add_url_rule("/dash/<int:older_id>/compare/<int:newer_id>", view_func=cases.dash_compare)

# actions
bp.add_url_rule("/actions", view_func=actions.action_list)
bp.add_url_rule("/actions/<int:action_id>", view_func=actions.action_view, methods=["GET", "POST"])

# meetings
bp.add_url_rule("/meetings", view_func=meetings.meeting_list)
bp.add_url_rule("/meetings/new", view_func=meetings.meeting_new, methods=["GET", "POST"])
bp.add_url_rule("/meetings/<int:meeting_id>", view_func=meetings.meeting_view)
bp.add_url_rule("/meetings/<int:meeting_id>/distribution", view_func=meetings.meeting_distribution, methods=["POST"])
bp.add_url_rule("/meetings/<int:meeting_id>/list", view_func=meetings.meeting_list_case, methods=["POST"])
bp.add_url_rule("/agenda-items/<int:item_id>/reorder", view_func=meetings.item_reorder, methods=["POST"])
bp.add_url_rule("/agenda-items/<int:item_id>/remove", view_func=meetings.item_remove, methods=["POST"])
bp.add_url_rule("/agenda-items/<int:item_id>/move", view_func=meetings.item_move, methods=["POST"])
bp.add_url_rule("/meetings/<int:meeting_id>/agenda", view_func=meetings.agenda_html)
bp.add_url_rule("/meetings/<int:meeting_id>/agenda.pdf", view_func=meetings.agenda_pdf)
bp.add_url_rule("/meetings/<int:meeting_id>/circulate", view_func=meetings.agenda_circulate, methods=["POST"])
bp.add_url_rule("/meetings/<int:meeting_id>/minutes.pdf", view_func=meetings.minutes_pdf)
bp.add_url_rule(
    "/meetings/<int:meeting_id>/minutes-circulation.pdf",
    endpoint="minutes_circulation_pdf",
    view_func=meetings.minutes_pdf,
    defaults={"circulation": True},
)
bp.add_url_rule("/agenda-items/<int:item_id>/research", view_func=meetings.research, methods=["GET", "POST"])
bp.add_url_rule("/meetings/<int:meeting_id>/attendance", view_func=meetings.attendance_add, methods=["POST"])
bp.add_url_rule("/agenda-items/<int:item_id>/minutes", view_func=meetings.minutes, methods=["GET", "POST"])
bp.add_url_rule("/agenda-items/<int:item_id>/actions", view_func=meetings.action_add, methods=["POST"])
bp.add_url_rule("/meetings/<int:meeting_id>/held", view_func=meetings.meeting_held, methods=["POST"])
bp.add_url_rule("/meetings/<int:meeting_id>/cancel", view_func=meetings.meeting_cancel, methods=["POST"])
bp.add_url_rule("/meetings/<int:meeting_id>/running-order", view_func=meetings.running_order_start)
bp.add_url_rule("/meetings/<int:meeting_id>/running-order/<int:position>", view_func=meetings.running_order)
bp.add_url_rule("/meetings/<int:meeting_id>/edit", view_func=meetings.meeting_edit, methods=["GET", "POST"])

# reports
bp.add_url_rule("/reports/quarterly", view_func=reports.report_quarterly)

# disclosure policy
bp.add_url_rule("/settings/disclosure", view_func=settings.disclosure_settings)
bp.add_url_rule("/settings/disclosure/<agency_kind>", view_func=settings.disclosure_settings_save, methods=["POST"])
