"""MARAC's part of the help page (``/help``): per role, what to do first; what each case
status means; who sees what. Read by core through the module registry."""

from __future__ import annotations

from ..core.modules import ModuleHelp, RoleHelp

HELP = ModuleHelp(
    roles={
        "marac_coordinator": RoleHelp(
            summary=(
                "You run the MARAC: you decide on referrals, schedule meetings, build and circulate "
                "the agenda, chair or support the chair, and record minutes and actions."
            ),
            first_steps=(
                "Open My work: it lists referrals awaiting your decision and accepted cases not yet on a meeting.",
                "Schedule the next meetings (MARAC › Meetings › Schedule a meeting) so accepted cases can be listed.",
                "Open each new referral, check the criteria and any earlier referral shown, then record your decision.",
                "Before the meeting, circulate the agenda; agencies then see the cases and add their research.",
                "During the meeting use Run the meeting: one screen per case, with research, outstanding actions, "
                "minutes and actions.",
                "After the meeting, mark it as held: only then do its hearings count in the quarterly return.",
                "For the SafeLives return open Reports, then MARAC: Quarterly return. You see the exact figures, "
                "on screen and in downloads, because you see every MARAC case. Before sharing figures outside "
                "the partnership, choose Show the figures as published: small numbers are then suppressed.",
            ),
        ),
        "idva": RoleHelp(
            summary=(
                "You support victims at high risk: you record DASH risk assessments, refer to MARAC, "
                "log contacts and keep the safety plan."
            ),
            first_steps=(
                "Find the person under People (by name, alias, reference or date of birth); add them if they are new.",
                "On their page, record a DASH risk assessment. The result page offers Refer to MARAC.",
                "Complete the referral: the latest DASH is already selected. Every problem is listed at the top.",
                "On the case page, log each contact and keep the safety plan up to date (under Update this case).",
                "Check My work for actions your agency owns and research waiting before a meeting.",
            ),
        ),
        "marac_rep": RoleHelp(
            summary=(
                "You represent your agency at MARAC: you research the cases on each agenda, bring what "
                "your agency knows, and carry out the actions your agency owns."
            ),
            first_steps=(
                "Open My work: cases on upcoming meetings your agency has not researched yet are listed there.",
                "For each case, record No trace or Information held (with what is held) before the cut-off.",
                "After the meeting, open MARAC › Actions to see your agency's actions and record what was done.",
                "You can also record a DASH assessment or refer a victim your agency is working with.",
            ),
        ),
    },
    statuses={
        "submitted": "Referred and waiting for the coordinator's decision.",
        "accepted": "Accepted by the coordinator and waiting to be listed on a meeting.",
        "declined": "Does not meet the MARAC criteria; the reason is recorded. The case is closed.",
        "listed": "On the agenda of a meeting; agencies research it before the meeting.",
        "heard": "Discussed at a meeting that took place; actions were agreed or no further action.",
        "closed": "Closed with a reason; nothing more can be changed.",
        "transferred_out": "Sent to another MARAC area; closed here.",
    },
    visibility=(
        "The coordinator sees every case. Other users see the cases their agency referred or is linked to, "
        "and the cases on the agenda of a meeting whose distribution list includes their agency, for as "
        "long as the case stays on that agenda.",
        "A restricted case (for example the victim is a member of staff) is seen only by the users named on it.",
        "What each kind of agency sees of the victim, perpetrators and children (names, aliases, dates of "
        "birth, addresses) is set by an administrator under MARAC disclosure; by default names, aliases and "
        "dates of birth go to every agency and addresses to the IDVA service and police only. The coordinator "
        "can release a victim's address for research on one case; the release is recorded.",
        "A DASH assessment belongs to its case; one not yet linked to a case is seen only by the agency "
        "that completed it.",
        "Every time a case or person page is opened it is recorded, with who opened it and why.",
    ),
)
