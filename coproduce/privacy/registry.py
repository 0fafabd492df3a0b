"""Every app that holds personal data, in one explicit list, in the order erasure runs.

An explicit list rather than autodiscovery: the order matters (the account is anonymised
last, after every app has read the rows it needs), a reader sees in one place which apps
hold personal data, and `tests/privacy/test_registry.py` fails when a model that points at a
person lives in an app missing from this list.

Each module provides `TABLES` (table name → what it holds, for the README), `export(user,
community=None)` and `erase(user)`, each with a fixed number of queries.
"""

from dataclasses import dataclass
from importlib import import_module
from types import ModuleType

APPS = (
    "communities",
    "exchanges",
    "coproduction",
    "matching",
    "insight",
    "evidence",
    "ledger",
    "api",
    "audit",
    "privacy",
    "people",
)

# Apps whose models point at a person but that need no declaration of their own, and why.
COVERED_ELSEWHERE = {
    "account": "people: e-mail addresses (django-allauth)",
    "mfa": "people: two-factor authenticators (django-allauth), deleted on erasure",
    "admin": "people: the admin's change log names the account; erasure renames it",
    "directory": "only who last changed a community's publishing choice, not about them",
}


@dataclass(frozen=True)
class Declaration:
    app: str
    module: ModuleType

    @property
    def tables(self) -> dict[str, str]:
        return {name: str(text) for name, text in self.module.TABLES.items()}


def declarations() -> list[Declaration]:
    return [Declaration(app, import_module(f"coproduce.{app}.privacy")) for app in APPS]
