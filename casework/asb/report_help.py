"""How each figure of the ASB report is counted, as shown on the report page."""

REPORT_DEFINITIONS = (
    "Incidents: incidents that occurred in the period, not removed by correction; incidents linked as one event "
    "count once.",
    "Repeat callers: distinct victims who reported at least one incident in the period and had 3 or more incidents "
    "(the configured threshold) in the 12 months up to and including that incident.",
    "Victims by risk level: victims with an incident in the period, by their current risk level.",
    "Support plan reviews overdue: active individual support plans on open cases whose review was due before the "
    "end of the period (or today).",
    "ASB Case Review: applications received, threshold decisions of not met, reviews carried out (outcome dated in "
    "the period) and those that resulted in recommendations.",
)
