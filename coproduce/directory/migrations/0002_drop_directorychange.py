from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

SERVICE = 1  # directory.ids.Kind.SERVICE


def keep_change_times(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Carry each service's kept change time over to its own `updated_at`, where later."""
    change = apps.get_model("directory", "DirectoryChange")
    service = apps.get_model("coproduction", "Service")
    for object_id, modified_at in change.objects.filter(kind=SERVICE).values_list(
        "object_id", "modified_at"
    ):
        service.objects.filter(pk=object_id, updated_at__lt=modified_at).update(
            updated_at=modified_at
        )


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0001_initial"),
        ("coproduction", "0002_updated_at"),
    ]

    operations = [
        migrations.RunPython(keep_change_times, migrations.RunPython.noop),
        migrations.DeleteModel(name="DirectoryChange"),
    ]
