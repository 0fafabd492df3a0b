from allauth.account.views import SignupView
from django.contrib import admin
from django.db import transaction
from django.urls import include, path, re_path

from coproduce.api import views as api_views
from coproduce.api.urls import api, token_urls

# A database that is not answering gets a 503 with Retry-After, anything else the plain 500.
handler500 = "coproduce.web.errors.server_error"

urlpatterns = [
    path("", include("coproduce.web.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # Sign-up makes the user, the profile and the e-mail address in one transaction: if the
    # database goes away half-way, nobody is left half-made (tests/reliability/test_faults.py).
    path("accounts/signup/", transaction.atomic(SignupView.as_view()), name="account_signup"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/tokens/", include(token_urls)),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.*)$", api_views.unknown_path),
    path("c/<slug:slug>/", include("coproduce.communities.urls")),
    path("c/<slug:slug>/", include("coproduce.people.urls")),
    path("c/<slug:slug>/", include("coproduce.exchanges.urls")),
    path("c/<slug:slug>/", include("coproduce.ledger.urls")),
    path("c/<slug:slug>/", include("coproduce.coproduction.urls")),
    path("c/<slug:slug>/", include("coproduce.matching.urls")),
    path("c/<slug:slug>/", include("coproduce.insight.urls")),
    path("c/<slug:slug>/", include("coproduce.evidence.urls")),
    path("c/<slug:slug>/", include("coproduce.directory.community_urls")),
    path("c/<slug:slug>/", include("coproduce.audit.urls")),
    path("c/<slug:slug>/", include("coproduce.privacy.urls")),
    path("open311/v2/", include("coproduce.insight.open311.urls")),
    path("hsds/", include("coproduce.directory.urls")),
]
