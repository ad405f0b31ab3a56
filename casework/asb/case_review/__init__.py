"""ASB Case Review (formerly the Community Trigger): applications, threshold, deadlines,
review meeting, recommendations, outcome, appeal and the published figures."""
