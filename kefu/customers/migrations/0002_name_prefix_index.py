"""PostgreSQL: a pattern-ops index so `name LIKE '王%'` (customer name prefix search) uses an index
under any database collation. SQLite's LIKE-prefix optimisation needs no extra index here."""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS customer_name_pattern_idx ON customers_customer (name varchar_pattern_ops)"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS customer_name_pattern_idx")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
