from django.urls import path

from coproduce.privacy import views

app_name = "privacy"

urlpatterns = [
    path("me/data/", views.me_data, name="me_data"),
    path("me/data/download/", views.me_download, name="me_download"),
    path("me/data/consents/withdraw/", views.me_consent_withdraw, name="me_consent_withdraw"),
    path("me/data/erase/", views.me_erase, name="me_erase"),
    path("privacy/requests/", views.requests, name="requests"),
    path("privacy/requests/<int:pk>/", views.request_detail, name="request"),
    path("privacy/requests/<int:pk>/export/", views.request_export, name="request_export"),
    path("privacy/requests/<int:pk>/erase/", views.request_erase, name="request_erase"),
    path("privacy/requests/<int:pk>/complete/", views.request_complete, name="request_complete"),
    path("privacy/retention/", views.retention, name="retention"),
    path("privacy/retention/apply/", views.retention_apply, name="retention_apply"),
]
