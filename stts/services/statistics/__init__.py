"""Statistics computed from the dossier history: ``history`` (one dossier's actions read as
spells and events, pure), ``summary`` (the monthly summary table, rebuilt by a worker job)
and ``figures`` (what the dashboards read). docs/statistics.md explains the rules."""
