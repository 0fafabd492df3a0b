from django.urls import path

from coproduce.exchanges import views

app_name = "exchanges"

urlpatterns = [
    path("listings/", views.listings, name="listings"),
    path("listings/new/", views.listing_create, name="listing_create"),
    path("listings/<int:pk>/", views.listing, name="listing"),
    path("listings/<int:pk>/edit/", views.listing_edit, name="listing_edit"),
    path("listings/<int:pk>/state/", views.listing_state, name="listing_state"),
    path("messages/", views.conversations, name="conversations"),
    path("messages/<int:pk>/", views.conversation, name="conversation"),
    path("messages/<int:pk>/contact/", views.conversation_contact, name="conversation_contact"),
]
