"""Postings (token, document, term frequency, document length) of SearchDoc, written by triggers.

BM25 is summed over these rows in SQL (kefu.knowledge.candidates). Like the full-text index of
migration 0002 they are kept by the database itself, on both engines, whatever writes
knowledge_searchdoc (services, bulk loads, this migration's backfill). Tokens never hold spaces,
quotes or backslashes (kefu.knowledge.lexicon: CJK runs and [0-9a-z._-] words); the SQLite side
escapes quotes and backslashes anyway before reading the tokens as a JSON array.
"""

from django.db import migrations, models

PG_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION knowledge_searchposting_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            DELETE FROM knowledge_searchposting WHERE doc_id = OLD.id;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO knowledge_searchposting (doc_id, term, tf, length)
            SELECT NEW.id, left(t, 64), count(*), NEW.length
            FROM unnest(string_to_array(NEW.tokens, ' ')) AS t
            WHERE t <> '' GROUP BY left(t, 64);
        END IF;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER knowledge_searchposting_ai AFTER INSERT ON knowledge_searchdoc "
    "FOR EACH ROW EXECUTE FUNCTION knowledge_searchposting_sync()",
    "CREATE TRIGGER knowledge_searchposting_au AFTER UPDATE OF tokens, length ON knowledge_searchdoc "
    "FOR EACH ROW WHEN (OLD.tokens IS DISTINCT FROM NEW.tokens OR OLD.length IS DISTINCT FROM NEW.length) "
    "EXECUTE FUNCTION knowledge_searchposting_sync()",
    "CREATE TRIGGER knowledge_searchposting_ad AFTER DELETE ON knowledge_searchdoc "
    "FOR EACH ROW EXECUTE FUNCTION knowledge_searchposting_sync()",
    "INSERT INTO knowledge_searchposting (doc_id, term, tf, length) "
    "SELECT d.id, left(t, 64), count(*), d.length "
    "FROM knowledge_searchdoc d, unnest(string_to_array(d.tokens, ' ')) AS t "
    "WHERE t <> '' GROUP BY d.id, left(t, 64), d.length",
    "ANALYZE knowledge_searchposting",
]
PG_BACKWARD = [
    "DROP TRIGGER IF EXISTS knowledge_searchposting_ad ON knowledge_searchdoc",
    "DROP TRIGGER IF EXISTS knowledge_searchposting_au ON knowledge_searchdoc",
    "DROP TRIGGER IF EXISTS knowledge_searchposting_ai ON knowledge_searchdoc",
    "DROP FUNCTION IF EXISTS knowledge_searchposting_sync()",
]


def _sqlite_insert(doc: str) -> str:
    tokens = f"""replace(replace(replace({doc}.tokens, '\\', '\\\\'), '"', '\\"'), ' ', '","')"""
    return (
        "INSERT INTO knowledge_searchposting (doc_id, term, tf, length) "
        f"SELECT {doc}.id, substr(j.value, 1, 64), count(*), {doc}.length "
        f"FROM json_each('[\"' || {tokens} || '\"]') AS j WHERE j.value <> '' GROUP BY substr(j.value, 1, 64)"
    )


SQLITE_FORWARD = [
    f"CREATE TRIGGER IF NOT EXISTS knowledge_searchposting_ai AFTER INSERT ON knowledge_searchdoc BEGIN "
    f"{_sqlite_insert('new')}; END",
    "CREATE TRIGGER IF NOT EXISTS knowledge_searchposting_ad AFTER DELETE ON knowledge_searchdoc BEGIN "
    "DELETE FROM knowledge_searchposting WHERE doc_id = old.id; END",
    f"CREATE TRIGGER IF NOT EXISTS knowledge_searchposting_au AFTER UPDATE OF tokens, length ON knowledge_searchdoc "
    f"WHEN old.tokens IS NOT new.tokens OR old.length IS NOT new.length BEGIN "
    f"DELETE FROM knowledge_searchposting WHERE doc_id = old.id; {_sqlite_insert('new')}; END",
    "INSERT INTO knowledge_searchposting (doc_id, term, tf, length) "
    "SELECT d.id, substr(j.value, 1, 64), count(*), d.length FROM knowledge_searchdoc AS d, "
    """json_each('["' || replace(replace(replace(d.tokens, '\\', '\\\\'), '"', '\\"'), ' ', '","') || '"]') AS j """
    "WHERE j.value <> '' GROUP BY d.id, substr(j.value, 1, 64)",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS knowledge_searchposting_au",
    "DROP TRIGGER IF EXISTS knowledge_searchposting_ad",
    "DROP TRIGGER IF EXISTS knowledge_searchposting_ai",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('knowledge', '0003_search_terms'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchPosting',
            fields=[
                ('pk', models.CompositePrimaryKey('doc_id', 'term', blank=True, editable=False, primary_key=True, serialize=False)),
                ('doc_id', models.BigIntegerField()),
                ('term', models.CharField(max_length=64)),
                ('tf', models.IntegerField()),
                ('length', models.IntegerField()),
            ],
            options={
                'indexes': [models.Index(fields=['term', 'doc_id', 'tf', 'length'], name='kb_posting_term_idx')],
            },
        ),
        migrations.AddIndex(
            model_name='searchdoc',
            index=models.Index(fields=['kind', 'status', 'owner_id_ref', 'team_id_ref', 'id', 'length'], name='kb_searchdoc_visible_idx'),
        ),
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
