from django.urls import path

from coproduce.matching import views

app_name = "matching"

urlpatterns = [
    path("matching/", views.suggestions, name="suggestions"),
    path("matching/batch/", views.batch, name="batch"),
    path("matching/settings/", views.settings_edit, name="settings"),
    path("matching/runs/<int:pk>/", views.run_detail, name="run"),
    path("matching/runs/<int:pk>/adjust/", views.run_adjust, name="run_adjust"),
    path("matching/runs/<int:pk>/send/", views.run_send, name="run_send"),
    path("matching/services/<int:pk>/roles/", views.service_roles, name="service_roles"),
    path("matching/sessions/<int:pk>/leads/", views.session_leads, name="session_leads"),
]
