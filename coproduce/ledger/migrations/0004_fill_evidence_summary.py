from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def fill(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Plain SQL over the tables as 0003 made them: if those tables change, copy the SQL here.
    from coproduce.ledger.summary import summary_rebuild

    summary_rebuild()


def empty(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for name in ("ValueDay", "TieDay", "TieFirst", "FirstExchange"):
        apps.get_model("ledger", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_evidence_summary")]

    operations = [migrations.RunPython(fill, empty)]
