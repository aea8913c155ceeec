"""Upkeep of the database: the statistics its query planner chooses plans from.

PostgreSQL's autovacuum keeps them current by itself. SQLite gathers none until told to: with
no statistics its planner guesses, and on a grown database it can pick an index that reads
thirty times the rows it needs (the volunteer's calls read through the organisation's index
instead of the assignee's: 24 ms instead of 5 on a million people). SQLite's own advice for
long-lived databases is to analyze periodically with `analysis_limit`, so that ANALYZE
samples a bounded number of rows per index and takes milliseconds on any size.
`prossimo serve` runs it at start, and the worker every night (`core.tasks`).
"""

from __future__ import annotations

from django.db import connections

#: Rows sampled per index by SQLite's ANALYZE (its documentation suggests 100–1000).
ANALYSIS_LIMIT = 1000


def optimize_database(using: str = "default") -> str:
    """Refresh the planner's statistics where they are missing or stale; return what ran."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Every table: `PRAGMA optimize` only looks at the tables this connection used
            # (before SQLite 3.46, which Debian 12 does not ship), and a fresh connection has
            # used none. With the limit, ANALYZE samples each index: milliseconds, any size.
            cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
            cursor.execute("ANALYZE")
            return "ANALYZE"
        if connection.vendor == "postgresql":
            return "autovacuum"  # keeps the statistics current by itself
    return "nothing"
