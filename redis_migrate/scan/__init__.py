"""Read-only: the file set, the team's lifecycle module, the sites classified; the reports."""
