from django.urls import path

from coproduce.ledger import views

app_name = "ledger"

urlpatterns = [
    path("time/transfers/<int:pk>/", views.transfer_detail, name="transfer"),
]
