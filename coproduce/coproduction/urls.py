from django.urls import path

from coproduce.coproduction import views

app_name = "coproduction"

urlpatterns = [
    path("proposals/", views.proposals, name="proposals"),
    path("proposals/new/", views.proposal_create, name="proposal_create"),
    path("proposals/preferences/", views.preferences, name="preferences"),
    path("proposals/<int:pk>/", views.proposal, name="proposal"),
    path("proposals/<int:pk>/edit/", views.proposal_edit, name="proposal_edit"),
    path("proposals/<int:pk>/roles/", views.proposal_role_add, name="proposal_role_add"),
    path(
        "proposals/<int:pk>/resources/",
        views.proposal_resource_add,
        name="proposal_resource_add",
    ),
    path("proposals/<int:pk>/state/", views.proposal_state, name="proposal_state"),
    path("proposals/<int:pk>/comments/", views.proposal_comment, name="proposal_comment"),
    path("proposals/<int:pk>/endorse/", views.proposal_endorse, name="proposal_endorse"),
    path("proposals/<int:pk>/pledge/", views.proposal_pledge, name="proposal_pledge"),
    path(
        "proposals/<int:pk>/resource-pledge/",
        views.proposal_resource_pledge,
        name="proposal_resource_pledge",
    ),
    path(
        "proposals/<int:pk>/pledges/<int:pledge>/withdraw/",
        views.pledge_withdraw,
        name="pledge_withdraw",
    ),
    path("proposals/<int:pk>/decision/", views.decision, name="decision"),
    path(
        "proposals/<int:pk>/decision/responses/<int:response>/answer/",
        views.block_answer,
        name="block_answer",
    ),
    path(
        "proposals/<int:pk>/decision/responses/<int:response>/settle/",
        views.block_settle,
        name="block_settle",
    ),
    path("proposals/<int:pk>/decision/close/", views.decision_close, name="decision_close"),
    path("proposals/<int:pk>/service/", views.proposal_service, name="proposal_service"),
    path("services/", views.services_list, name="services"),
    path("services/new/", views.service_create, name="service_create"),
    path("services/<int:pk>/", views.service, name="service"),
    path("services/<int:pk>/sessions.ics", views.service_ics, name="service_ics"),
    path("services/<int:pk>/sessions/new/", views.schedule, name="schedule"),
    path("services/<int:pk>/roles/", views.service_role_add, name="service_role_add"),
    path("services/<int:pk>/offers/", views.role_offer, name="role_offer"),
    path("services/<int:pk>/offers/<int:offer>/", views.offer_answer, name="offer_answer"),
    path("services/<int:pk>/status/", views.service_status, name="service_status"),
    path("services/<int:pk>/review/", views.service_review, name="service_review"),
    path("services/<int:pk>/credits/", views.service_credit_rule, name="service_credit_rule"),
    path("services/<int:pk>/milestones/", views.milestone_add, name="milestone_add"),
    path(
        "services/<int:pk>/milestones/<int:milestone>/",
        views.milestone_status,
        name="milestone_status",
    ),
    path("services/<int:pk>/check-in/", views.service_check_in, name="service_check_in"),
    path(
        "services/<int:pk>/self-assessment/",
        views.service_self_assessment,
        name="service_self_assessment",
    ),
    path("sessions/<int:pk>/", views.session, name="session"),
    path("sessions/<int:pk>/session.ics", views.session_ics, name="session_ics"),
    path("sessions/<int:pk>/signup/", views.session_signup, name="session_signup"),
    path("sessions/<int:pk>/register/", views.session_register, name="session_register"),
    path("sessions/<int:pk>/check-in/", views.session_check_in, name="session_check_in"),
    path("sessions/<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
]
