"""ASB's part of the help page (``/help``): per role, what to do first; what each status of an
ASB case means; who sees what. Read by core through the module registry (``Module.help``)."""

from __future__ import annotations

from ..core.modules import ModuleHelp, RoleHelp

HELP = ModuleHelp(
    roles={
        "asb_officer": RoleHelp(
            summary=(
                "You are a council, housing or police ASB officer: you log incidents, look after victims of "
                "persistent anti-social behaviour, act against perpetrators and answer ASB Case Review "
                "(Community Trigger) applications."
            ),
            first_steps=(
                "Open My work: victims due a contact, risk re-assessments due, support plan reviews and Case "
                "Review deadlines that are close or passed are listed there.",
                "To log an incident, find the victim under People (add them if they are new) and choose Log an "
                "ASB incident. Similar open cases (same victim, address or alleged perpetrator) are offered "
                "first: add the incident to one of them or open a new case.",
                "ASB, then Incidents, lists the incidents on the cases you can see, most recent first: filter "
                "by period, category or hate motivation to see what is happening where.",
                "When a victim reports for the second time within 6 months, explain the ASB Case Review to them "
                "and record that you did (the case page prompts you).",
                "Assess the victim's risk on the case page. High and medium risk victims need a support plan, "
                "reviewed at least every 6 weeks, and regular contact (weekly for high risk).",
                "Record warnings, contracts, notices, injunctions and orders against perpetrators under "
                "Perpetrator actions, with their breaches.",
                "Record a Case Review application from the victim's case; the threshold check and the deadlines "
                "(in working days) are worked out for you.",
            ),
        ),
        "asb_partner": RoleHelp(
            summary=(
                "You work for a partner agency (for example a housing provider or victim service) on the ASB "
                "cases your agency is involved in."
            ),
            first_steps=(
                "Open ASB to see the cases your agency is involved in, and the repeat victims among them.",
                "Report an incident a victim tells you about: find them under People and choose Log an ASB incident.",
                "Add what your agency does to the actions agreed at ASB meetings.",
            ),
        ),
    },
    statuses={
        "open": "Open: the victim is being supported; incidents, risk, plan and contacts are kept up to date.",
        "closed": "Closed with a reason when no further support is needed. Earlier incidents still count "
        "towards repeat status and the Case Review threshold.",
    },
    visibility=(
        "ASB cases are seen only by ASB roles of the agencies involved in them; a restricted case only by the "
        "users named on it.",
        "Hate-crime details (the protected characteristic) and the health and disability answers of the risk "
        "assessment are shown to ASB officers only. Partner workers see that an incident was hate-motivated, "
        "not the details.",
        "On a case, Known elsewhere lists only the other cases of the same person that you may open; a "
        "restricted case never appears.",
        "Every time an ASB case is opened or a list or figures are downloaded it is recorded, with who and why.",
    ),
)
