"""The REST API root: /api/v1/, OpenAPI 3 at /api/v1/openapi.json, docs at /api/v1/docs.

The docs page uses the Swagger UI files that django-ninja ships as static files ("ninja" is
in INSTALLED_APPS, so nothing loads from a CDN) and no inline script, so it works under the
production CSP (script-src 'self').

`token_urls` is the signed-in page where people make and revoke their personal access
tokens, mounted at /api/tokens/.
"""

from django.urls import path
from ninja import NinjaAPI

from coproduce.api import errors, views
from coproduce.api.auth import BrowserSession, TokenAuth
from coproduce.api.parser import StrictJSONParser
from coproduce.communities.api import router as communities_router
from coproduce.coproduction.api import router as coproduction_router
from coproduce.evidence.api import router as evidence_router
from coproduce.exchanges.api import router as exchanges_router
from coproduce.insight.api import router as insight_router
from coproduce.ledger.api import router as ledger_router
from coproduce.matching.api import router as matching_router
from coproduce.people.api import router as people_router

api = NinjaAPI(
    title="Coproduce API",
    version="1.0.0",
    description=(
        "Communities, people, offers and requests, time credits, and co-produced services. "
        "Authenticate with a "
        "personal access token (`Authorization: Bearer cpt_…`, made at /api/tokens/). "
        "Errors are JSON: "
        '`{"detail": "…", "errors": {"field": ["message"]}}`.'
    ),
    urls_namespace="api",
    auth=[TokenAuth(), BrowserSession()],
    parser=StrictJSONParser(),
)
errors.install(api)
api.add_router("/", communities_router)
api.add_router("/", people_router)
api.add_router("/", exchanges_router)
api.add_router("/", ledger_router)
api.add_router("/", coproduction_router)
api.add_router("/", matching_router)
api.add_router("/", insight_router)
api.add_router("/", evidence_router)

token_urls = (
    [
        path("", views.token_list, name="list"),
        path("<int:pk>/revoke/", views.token_revoke, name="revoke"),
    ],
    "tokens",
)
