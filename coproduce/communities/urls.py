from django.urls import path

from coproduce.communities import views

app_name = "communities"

urlpatterns = [
    path("", views.home, name="home"),
]
