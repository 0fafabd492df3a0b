from django.urls import path

from coproduce.ledger import views

app_name = "ledger"

urlpatterns = [
    path("time/", views.balance, name="balance"),
    path("time/statement.csv", views.statement_csv, name="statement_csv"),
    path("time/record/", views.record, name="record"),
    path("time/donate/", views.donate, name="donate"),
    path("time/transfers/<int:pk>/", views.transfer_detail, name="transfer"),
    path("time/transfers/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("time/transfers/<int:pk>/reject/", views.reject, name="reject"),
    path("time/transfers/<int:pk>/reverse/", views.transfer_reverse, name="reverse"),
    path("time/queue/", views.queue, name="queue"),
    path("time/overview/", views.overview, name="overview"),
    path("time/manage/", views.manage, name="manage"),
    path("time/manage/group/", views.group, name="group"),
    path("time/manage/award/", views.award, name="award"),
    path("time/manage/grant/", views.grant, name="grant"),
    path("time/manage/adjust/", views.adjust, name="adjust"),
    path("time/accounts/<int:pk>/limits/", views.limits, name="limits"),
]
