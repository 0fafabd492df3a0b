from django.urls import path

from coproduce.insight import views

app_name = "insight"

urlpatterns = [
    path("insight/", views.reports, name="reports"),
    path("insight/new/", views.report_new, name="report_new"),
    path("insight/new/<slug:code>/", views.report_form, name="report_form"),
    path("insight/reports/<int:pk>/", views.report, name="report"),
    path("insight/reports/<int:pk>/update/", views.report_update, name="report_update"),
    path("insight/reports/<int:pk>/follow/", views.report_follow, name="report_follow"),
    path("insight/reports/<int:pk>/assign/", views.report_assign, name="report_assign"),
    path("insight/reports/<int:pk>/flag/", views.report_flag, name="report_flag"),
    path("insight/reports/<int:pk>/moderate/", views.report_moderate, name="report_moderate"),
    path("insight/reports/<int:pk>/help/", views.help_offer, name="help_offer"),
    path("insight/help/<int:pk>/<slug:action>/", views.help_action, name="help_action"),
    path("insight/photos/<int:pk>/", views.photo, name="photo"),
    path("insight/inbox/", views.inbox, name="inbox"),
    path("insight/moderation/", views.moderation, name="moderation"),
    path("insight/notes/", views.notes, name="notes"),
    path("insight/notes/<int:pk>/", views.note, name="note"),
    path("insight/notes/<int:pk>/hide/", views.note_hide, name="note_hide"),
    path("insight/categories/", views.categories, name="categories"),
    path("insight/categories/<int:pk>/", views.category, name="category"),
    path("insight/keys/", views.keys, name="keys"),
    path("insight/keys/<int:pk>/revoke/", views.key_revoke, name="key_revoke"),
    path("insight/feed.atom", views.feed, name="feed"),
    path("insight/feed/<slug:area>.atom", views.feed, name="feed_area"),
]
