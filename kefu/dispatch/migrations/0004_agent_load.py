"""Per-agent open-ticket counters (AgentLoad), kept by triggers on tickets_ticket.

Every dispatch decision needs the open load of the team's agents. Counting it (the partial index
dispatch_ticket_load_idx of migration 0002) read ~150 index entries per agent, ~3,750 for a team
of 25, on every decision; these rows make it one row per agent. The triggers run inside the
transaction that writes the ticket, on both engines, so the counts are exact whatever writes
tickets_ticket (services, bulk imports, a raw UPDATE).

On PostgreSQL, when a ticket moves from one agent to another the two counter rows are updated in
user-id order, so two transactions moving tickets in opposite directions cannot deadlock on them.
The open statuses are frozen here as tickets.choices.OPEN_STATUSES is when written (the same list
as migration 0002's index): keep them in step if open statuses change; the test suite checks the
counters against a recount for every status.

The backfill runs after the triggers exist, in the same transaction; CREATE TRIGGER's lock on
tickets_ticket holds concurrent writers until the migration commits, so nothing is counted twice
or missed. The load index is dropped: nothing reads it any more and every ticket write paid for it.
"""

from django.db import migrations, models

OPEN = "'new', 'assigned', 'in_progress', 'pending_customer'"

PG_FORWARD = [
    f"""
    CREATE OR REPLACE FUNCTION dispatch_agentload_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        old_in boolean := false;
        new_in boolean := false;
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            old_in := OLD.assignee_id IS NOT NULL AND OLD.status IN ({OPEN});
        END IF;
        IF TG_OP <> 'DELETE' THEN
            new_in := NEW.assignee_id IS NOT NULL AND NEW.status IN ({OPEN});
        END IF;
        IF old_in AND new_in AND OLD.assignee_id = NEW.assignee_id THEN
            IF OLD.priority_rank <> NEW.priority_rank THEN
                UPDATE dispatch_agentload SET weighted = weighted + NEW.priority_rank - OLD.priority_rank
                WHERE user_id = NEW.assignee_id;
            END IF;
            RETURN NULL;
        END IF;
        -- Lower user id first (lock order).
        IF old_in AND (NOT new_in OR OLD.assignee_id < NEW.assignee_id) THEN
            UPDATE dispatch_agentload SET open_count = open_count - 1, weighted = weighted - OLD.priority_rank
            WHERE user_id = OLD.assignee_id;
            old_in := false;
        END IF;
        IF new_in THEN
            UPDATE dispatch_agentload SET open_count = open_count + 1, weighted = weighted + NEW.priority_rank
            WHERE user_id = NEW.assignee_id;
            IF NOT FOUND THEN
                INSERT INTO dispatch_agentload (user_id, open_count, weighted) VALUES (NEW.assignee_id, 1, NEW.priority_rank)
                ON CONFLICT (user_id) DO UPDATE
                SET open_count = dispatch_agentload.open_count + 1, weighted = dispatch_agentload.weighted + EXCLUDED.weighted;
            END IF;
        END IF;
        IF old_in THEN
            UPDATE dispatch_agentload SET open_count = open_count - 1, weighted = weighted - OLD.priority_rank
            WHERE user_id = OLD.assignee_id;
        END IF;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER dispatch_agentload_ai AFTER INSERT ON tickets_ticket "
    "FOR EACH ROW WHEN (NEW.assignee_id IS NOT NULL) EXECUTE FUNCTION dispatch_agentload_sync()",
    "CREATE TRIGGER dispatch_agentload_au AFTER UPDATE OF assignee_id, status, priority_rank ON tickets_ticket "
    "FOR EACH ROW WHEN (OLD.assignee_id IS DISTINCT FROM NEW.assignee_id OR OLD.status IS DISTINCT FROM NEW.status "
    "OR OLD.priority_rank IS DISTINCT FROM NEW.priority_rank) EXECUTE FUNCTION dispatch_agentload_sync()",
    "CREATE TRIGGER dispatch_agentload_ad AFTER DELETE ON tickets_ticket "
    "FOR EACH ROW WHEN (OLD.assignee_id IS NOT NULL) EXECUTE FUNCTION dispatch_agentload_sync()",
]
PG_BACKWARD = [
    "DROP TRIGGER IF EXISTS dispatch_agentload_ad ON tickets_ticket",
    "DROP TRIGGER IF EXISTS dispatch_agentload_au ON tickets_ticket",
    "DROP TRIGGER IF EXISTS dispatch_agentload_ai ON tickets_ticket",
    "DROP FUNCTION IF EXISTS dispatch_agentload_sync()",
]


def _sqlite_add(row: str) -> str:
    return (
        f"INSERT OR IGNORE INTO dispatch_agentload (user_id, open_count, weighted) SELECT {row}.assignee_id, 0, 0 "
        f"WHERE {row}.assignee_id IS NOT NULL AND {row}.status IN ({OPEN}); "
        f"UPDATE dispatch_agentload SET open_count = open_count + 1, weighted = weighted + {row}.priority_rank "
        f"WHERE user_id = {row}.assignee_id AND {row}.status IN ({OPEN});"
    )


def _sqlite_sub(row: str) -> str:
    return (
        f"UPDATE dispatch_agentload SET open_count = open_count - 1, weighted = weighted - {row}.priority_rank "
        f"WHERE user_id = {row}.assignee_id AND {row}.status IN ({OPEN});"
    )


SQLITE_FORWARD = [
    f"CREATE TRIGGER IF NOT EXISTS dispatch_agentload_ai AFTER INSERT ON tickets_ticket "
    f"WHEN new.assignee_id IS NOT NULL BEGIN {_sqlite_add('new')} END",
    f"CREATE TRIGGER IF NOT EXISTS dispatch_agentload_au AFTER UPDATE OF assignee_id, status, priority_rank "
    f"ON tickets_ticket WHEN old.assignee_id IS NOT new.assignee_id OR old.status IS NOT new.status "
    f"OR old.priority_rank IS NOT new.priority_rank BEGIN {_sqlite_sub('old')} {_sqlite_add('new')} END",
    f"CREATE TRIGGER IF NOT EXISTS dispatch_agentload_ad AFTER DELETE ON tickets_ticket "
    f"WHEN old.assignee_id IS NOT NULL BEGIN {_sqlite_sub('old')} END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS dispatch_agentload_ad",
    "DROP TRIGGER IF EXISTS dispatch_agentload_au",
    "DROP TRIGGER IF EXISTS dispatch_agentload_ai",
]

BACKFILL = (
    "INSERT INTO dispatch_agentload (user_id, open_count, weighted) "
    "SELECT assignee_id, COUNT(*), SUM(priority_rank) FROM tickets_ticket "
    f"WHERE assignee_id IS NOT NULL AND status IN ({OPEN}) GROUP BY assignee_id"
)
LOAD_INDEX = (
    "CREATE INDEX IF NOT EXISTS dispatch_ticket_load_idx ON tickets_ticket (assignee_id, priority_rank) "
    f"WHERE status IN ({OPEN})"
)


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements_by_vendor.get(vendor, statements_by_vendor.get("*", [])):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("dispatch", "0003_agent_idle_from_decisions"),
        ("tickets", "0003_queue_open_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="AgentLoad",
            fields=[
                ("user_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("open_count", models.IntegerField(default=0)),
                ("weighted", models.IntegerField(default=0)),
            ],
            options={"verbose_name": "agent load", "verbose_name_plural": "agent loads"},
        ),
        migrations.RunPython(
            _run({"postgresql": [*PG_FORWARD, BACKFILL], "sqlite": [*SQLITE_FORWARD, BACKFILL]}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
        migrations.RunSQL("DROP INDEX IF EXISTS dispatch_ticket_load_idx", LOAD_INDEX),
    ]
