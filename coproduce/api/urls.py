"""The REST API root: /api/v1/, OpenAPI 3 at /api/v1/openapi.json. Each app adds its own router."""

from ninja import NinjaAPI

api = NinjaAPI(title="Coproduce API", version="1.0.0", urls_namespace="api")
