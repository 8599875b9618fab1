"""Full-text index over Ticket.search_text (jieba tokens separated by spaces).

PostgreSQL: a GIN index over array_to_tsvector(string_to_array(...)), which takes the tokens as they are,
so no text-search parser or locale can split or drop Chinese words.
SQLite: an FTS5 external-content table kept in step by triggers.
"""

from django.db import migrations

PG_FORWARD = [
    "CREATE INDEX IF NOT EXISTS ticket_search_gin ON tickets_ticket "
    "USING gin (array_to_tsvector(string_to_array(search_text, ' ')))",
]
PG_BACKWARD = ["DROP INDEX IF EXISTS ticket_search_gin"]

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS tickets_ticket_fts USING fts5("
    "search_text, content='tickets_ticket', content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER IF NOT EXISTS tickets_ticket_fts_ai AFTER INSERT ON tickets_ticket BEGIN "
    "INSERT INTO tickets_ticket_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS tickets_ticket_fts_ad AFTER DELETE ON tickets_ticket BEGIN "
    "INSERT INTO tickets_ticket_fts(tickets_ticket_fts, rowid, search_text) VALUES('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS tickets_ticket_fts_au AFTER UPDATE OF search_text ON tickets_ticket BEGIN "
    "INSERT INTO tickets_ticket_fts(tickets_ticket_fts, rowid, search_text) VALUES('delete', old.id, old.search_text); "
    "INSERT INTO tickets_ticket_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_au",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_ad",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_ai",
    "DROP TABLE IF EXISTS tickets_ticket_fts",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
