from django.urls import path

from coproduce.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("c/<slug:slug>/", views.community_home, name="community"),
]
