"""Every app that keeps rows about a person declares them, and declares only what it exports."""

from django.apps import apps
from django.conf import settings

from coproduce.privacy.registry import APPS, COVERED_ELSEWHERE, declarations


def test_every_model_that_points_at_a_person_is_in_a_declared_app():
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    pointing = {
        model._meta.app_label
        for model in apps.get_models()
        for f in model._meta.get_fields()
        if f.is_relation and f.concrete and f.related_model is user_model
    }
    assert pointing - set(APPS) - set(COVERED_ELSEWHERE) == set()


def test_each_app_exports_exactly_the_tables_it_describes(life, member):
    for declaration in declarations():
        assert set(declaration.module.export(member)) == set(declaration.tables), declaration.app
        assert all(declaration.tables.values()), declaration.app
