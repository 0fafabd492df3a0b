from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import F, OuterRef, Subquery


def date_existing(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Rows made before this field changed last, as far as their own tables say, when they
    were made (the directory's migration then brings in the change times it kept)."""
    for name, made in (
        ("Service", "created_at"),
        ("ServiceLead", "added_at"),
        ("Session", "created_at"),
    ):
        apps.get_model("coproduction", name).objects.update(updated_at=F(made))
    service = apps.get_model("coproduction", "Service")
    apps.get_model("coproduction", "ServiceRole").objects.update(
        updated_at=Subquery(
            service.objects.filter(pk=OuterRef("service_id")).values("created_at")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("coproduction", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="service",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, db_index=True),
        ),
        migrations.AddField(
            model_name="servicelead",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, db_index=True),
        ),
        migrations.AddField(
            model_name="servicerole",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, db_index=True),
        ),
        migrations.AddField(
            model_name="session",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, db_index=True),
        ),
        migrations.RunPython(date_existing, migrations.RunPython.noop),
    ]
