from django.urls import path, re_path

from coproduce.evidence import views

app_name = "evidence"

urlpatterns = [
    path("evidence/", views.dashboard, name="dashboard"),
    re_path(r"^evidence/report\.(?P<fmt>csv|xlsx|pdf)$", views.download, name="download"),
    re_path(r"^evidence/open-data\.(?P<fmt>csv|json)$", views.open_data, name="open_data"),
    path("evidence/manage/", views.manage, name="manage"),
    path("evidence/questionnaires/<int:pk>/wording/", views.wording, name="wording"),
    path("evidence/questionnaires/<int:pk>/answer/", views.answer, name="answer"),
    path("evidence/questionnaires/<int:pk>/paper/<int:user_id>/", views.paper, name="paper"),
    path("evidence/paper/", views.paper_pick, name="paper_pick"),
    path("evidence/mine/", views.my_answers, name="my_answers"),
    path("evidence/mine/consent/", views.consent, name="consent"),
    path("evidence/mine/erase/", views.erase, name="erase"),
    re_path(r"^evidence/mine/answers\.(?P<fmt>csv|json)$", views.my_export, name="my_export"),
]
