from django.urls import path

from coproduce.people import views

app_name = "people"

urlpatterns = [
    path("people/", views.directory, name="directory"),
    path("people/<int:pk>/", views.profile, name="profile"),
    path("me/", views.me, name="me"),
    path("me/profile/", views.me_profile, name="me_profile"),
    path("me/location/", views.me_location, name="me_location"),
    path("me/availability/", views.me_availability, name="me_availability"),
    path("me/assets/<int:pk>/remove/", views.me_asset_remove, name="me_asset_remove"),
    path("me/assets/<str:kind>/", views.me_asset_add, name="me_asset_add"),
    path("me/consents/", views.me_consent, name="me_consent"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
]
