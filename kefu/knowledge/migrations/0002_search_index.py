"""Full-text index over SearchDoc.tokens (pre-segmented, space separated, repeats kept for term frequency).

PostgreSQL: GIN over array_to_tsvector(string_to_array(tokens, ' ')) — the tokens as they are, no
text-search parser or extension. SQLite: an FTS5 external-content table kept in step by triggers.
The same shape as kefu/tickets/migrations/0002_search_index.py.
"""

from django.db import migrations

PG_FORWARD = [
    "CREATE INDEX IF NOT EXISTS kb_searchdoc_gin ON knowledge_searchdoc "
    "USING gin (array_to_tsvector(string_to_array(tokens, ' ')))",
]
PG_BACKWARD = ["DROP INDEX IF EXISTS kb_searchdoc_gin"]

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_searchdoc_fts USING fts5("
    "tokens, content='knowledge_searchdoc', content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER IF NOT EXISTS knowledge_searchdoc_fts_ai AFTER INSERT ON knowledge_searchdoc BEGIN "
    "INSERT INTO knowledge_searchdoc_fts(rowid, tokens) VALUES (new.id, new.tokens); END",
    "CREATE TRIGGER IF NOT EXISTS knowledge_searchdoc_fts_ad AFTER DELETE ON knowledge_searchdoc BEGIN "
    "INSERT INTO knowledge_searchdoc_fts(knowledge_searchdoc_fts, rowid, tokens) VALUES('delete', old.id, old.tokens); END",
    "CREATE TRIGGER IF NOT EXISTS knowledge_searchdoc_fts_au AFTER UPDATE OF tokens ON knowledge_searchdoc BEGIN "
    "INSERT INTO knowledge_searchdoc_fts(knowledge_searchdoc_fts, rowid, tokens) VALUES('delete', old.id, old.tokens); "
    "INSERT INTO knowledge_searchdoc_fts(rowid, tokens) VALUES (new.id, new.tokens); END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS knowledge_searchdoc_fts_au",
    "DROP TRIGGER IF EXISTS knowledge_searchdoc_fts_ad",
    "DROP TRIGGER IF EXISTS knowledge_searchdoc_fts_ai",
    "DROP TABLE IF EXISTS knowledge_searchdoc_fts",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
