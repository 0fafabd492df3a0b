from django.urls import path

from coproduce.communities import views

app_name = "communities"

urlpatterns = [
    path("join/", views.apply, name="apply"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("organisations/", views.organisations, name="organisations"),
    path("organisations/<slug:org>/", views.organisation, name="organisation"),
    path(
        "organisations/<slug:org>/people/",
        views.organisation_member_add,
        name="organisation_member_add",
    ),
    path("coordinate/", views.coordinate, name="coordinate"),
    path("coordinate/applications/<int:pk>/", views.application_decide, name="application_decide"),
    path("coordinate/invitations/", views.invitation_create, name="invitation_create"),
    path("coordinate/register/", views.member_register, name="member_register"),
    path("coordinate/members/<int:pk>/", views.member, name="member"),
    path("coordinate/members/<int:pk>/role/", views.member_role, name="member_role"),
    path("coordinate/members/<int:pk>/state/", views.member_state, name="member_state"),
    path("coordinate/members/<int:pk>/consents/", views.member_consent, name="member_consent"),
    path("coordinate/members/<int:pk>/checks/", views.member_check, name="member_check"),
]
