"""Covering partial index for the dispatch load count.

Every decision counts the open tickets of the team's agents and sums their priority ranks
(`selectors.agent_workloads`). With (assignee_id, priority_rank) over open tickets only, PostgreSQL
answers that from the index alone (an index-only scan of a few thousand entries instead of a heap
visit per ticket), and SQLite from a covering index.

The index belongs to tickets_ticket but is created here, by the app that needs it, so the tickets
app's models stay as they are. Plain SQL, the same on SQLite and PostgreSQL; IF NOT EXISTS so a
database that already has it (made by hand) migrates cleanly. The status list is frozen here as
tickets.choices.OPEN_STATUSES was when written: keep it in step if open statuses change.
"""

from django.db import migrations

FORWARD = (
    "CREATE INDEX IF NOT EXISTS dispatch_ticket_load_idx ON tickets_ticket (assignee_id, priority_rank) "
    "WHERE status IN ('new', 'assigned', 'in_progress', 'pending_customer')"
)
BACKWARD = "DROP INDEX IF EXISTS dispatch_ticket_load_idx"


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0001_initial"),
        ("tickets", "0003_queue_open_indexes"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
