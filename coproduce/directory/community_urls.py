"""The directory's page inside a community (`/c/<slug>/directory/`); the open API is `urls`."""

from django.urls import path

from coproduce.directory import pages

app_name = "directory_publishing"

urlpatterns = [
    path("directory/", pages.publishing, name="publishing"),
]
