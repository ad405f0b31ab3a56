"""IOM's part of the help page (``/help``): per role, what to do first; what each status of an
IOM record means; who sees what. Read by core through the module registry (``Module.help``)."""

from __future__ import annotations

from ..core.modules import ModuleHelp, RoleHelp

HELP = ModuleHelp(
    roles={
        "iom_officer": RoleHelp(
            summary=(
                "You are a police or probation IOM officer: you nominate people to the cohort, keep the "
                "offending record, and manage the offenders you lead on (contacts, pathways, tier, "
                "supervision or custody)."
            ),
            first_steps=(
                "Open My work: pathway reviews that are overdue, releases from custody in the next 28 days and "
                "nominations waiting for the panel are listed there.",
                "To nominate someone, find them under People (add them if they are new) and choose Nominate to "
                "IOM. Give the reasons, the proposed strand and category, and any OGRS or RSR score; the "
                "selection score is worked out from their convictions, with the breakdown shown.",
                "Add arrests, charges and convictions on the offender page (Add an arrest, charge or "
                "conviction). A nomination's score follows the record until the panel decides.",
                "Log every contact, including missed appointments, and keep each pathway's need, RAG and "
                "review date up to date.",
                "Record a change of supervision or custody status as it happens; give the expected release date "
                "for custody so the release reaches My work and the panel agenda.",
            ),
        ),
        "iom_manager": RoleHelp(
            summary=(
                "You run the IOM cohort and chair the selection panel: you decide nominations, deselect and "
                "close records, and report the cohort's reoffending to the partnership."
            ),
            first_steps=(
                "Schedule panels under IOM › Panels, then build each agenda: nominations to decide and offenders "
                "due for review are listed. Download the agenda PDF for the panel.",
                "At the panel, record each decision from the agenda (adopt with strand, category, tier and lead "
                "officer, or do not adopt with the reason), the minutes and outcome, and the actions agreed. "
                "Circulate the initials-only copy of the minutes.",
                "To take someone off the cohort, use Deselect from the cohort: a reason, a date and an exit plan "
                "are needed. When there is no further involvement (for example the person has died), close the "
                "record; a new nomination reopens it.",
                "Check IOM › Settings: tier labels, strand names and descriptions, the selection scoring matrix, "
                "offence categories with gravity and unit costs, and the optional women's pathways.",
                "Use the reoffending measure for a quarter, a financial year or any dates; the CSV has every "
                "offender you can see.",
                "The IOM report under Reports shows you exact figures, on screen and in downloads, because you "
                "see every IOM case. Before sharing figures outside the partnership, choose Show the figures as "
                "published: small numbers are then suppressed.",
            ),
        ),
        "iom_partner": RoleHelp(
            summary=(
                "You work for a partner agency in the IOM team (health, drugs and alcohol, housing, employment): "
                "you assess and deliver the pathways in your field and log your contacts."
            ),
            first_steps=(
                "Open My work: overdue reviews of the pathways your agency owns are listed there.",
                "On an offender's page, assess a pathway (need, RAG, owner agency, review date and details) and "
                "add the interventions and referrals you make to the pathway plan.",
                "Log each contact with the offender, including missed appointments.",
                "You can nominate someone your agency works with: find them under People and choose Nominate to IOM.",
            ),
        ),
    },
    statuses={
        "nominated": "Nominated and waiting for the panel's decision.",
        "adopted": "Adopted by the panel: on the cohort, in a spell that runs until deselection.",
        "not_adopted": "The panel did not adopt the nomination; the reason is recorded. A new nomination can follow.",
        "deselected": "Taken off the cohort with a reason, a date and an exit plan. Every spell stays on the "
        "record; a new nomination can follow.",
        "closed": "Closed with a reason when there is no further involvement. A new nomination reopens it, "
        "except after a deselection recorded as deceased.",
    },
    visibility=(
        "IOM records are seen only by IOM roles. The IOM manager sees every IOM record; officers and partner "
        "workers see the records their agency nominated, leads or is linked to, those whose pathways their "
        "agency owns, and those listed at a panel their agency is invited to while they stay listed. A "
        "restricted record is seen only by the users named on it.",
        "Offending notes are shown to police and probation IOM officers and the IOM manager only. Details of "
        "the health, drugs and alcohol and women's pathways are shown to partner workers and the IOM manager "
        "only; others see the need and RAG without the details.",
        "The panel agenda and minutes name the offenders listed; the circulation copy of the minutes gives "
        "initials only, without dates of birth. Pathway details are never printed.",
        "Analysts see the reoffending measure with counts from 1 to the small-number threshold suppressed, "
        "and no offender's record. Administrators may change the IOM settings but see no offender.",
        "On an offender's page, Known elsewhere lists only the other cases of the same person that you may "
        "open; a restricted case never appears.",
        "Every time an IOM record, a panel paper or the measure is opened or downloaded it is recorded, with "
        "who and why.",
    ),
)
