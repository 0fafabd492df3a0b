from django.urls import path

from coproduce.audit import views

app_name = "audit"

urlpatterns = [
    path("audit/", views.events, name="events"),
    path("audit/export.csv", views.export, name="export"),
]
