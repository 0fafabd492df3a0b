"""Co-produced services in the admin: for looking, and for running the scheduled work by hand.

Every change goes through coproduction/services.py (pledges bind people, attendance pays
time credits, decisions have rules), so the admin adds, changes and deletes nothing itself;
its one action calls the same service that the scheduled `coproduction tick` calls.
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from coproduce.coproduction.models import (
    Attendance,
    CheckIn,
    Comment,
    Decision,
    DecisionResponse,
    DigestItem,
    Endorsement,
    Milestone,
    MilestoneSession,
    NeededResource,
    NeededRole,
    NotificationPreference,
    Pledge,
    Proposal,
    ProposalRevision,
    Reminder,
    RoleAssignment,
    SelfAssessment,
    Service,
    ServiceLead,
    ServiceRole,
    Session,
    SessionSignup,
)
from coproduce.coproduction.services import proposal_evaluate


class LookOnly:
    """Nothing here is written from the admin: the services keep the rules."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(LookOnly, admin.ModelAdmin):
    pass


class ReadOnlyInline(LookOnly, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [str(f) for f in self.fields or []]


class NeededRoleInline(ReadOnlyInline):
    model = NeededRole
    fields = ["title", "skill", "minutes_per_week", "safeguarding_required"]


class NeededResourceInline(ReadOnlyInline):
    model = NeededResource
    fields = ["kind", "description"]


class ProposalRevisionInline(ReadOnlyInline):
    model = ProposalRevision
    fields = ["field", "old_text", "new_text", "revised_by", "revised_at"]


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    list_display = [
        "title",
        "community",
        "state",
        "threshold",
        "deadline",
        "proposer",
        "organisation",
    ]
    list_filter = ["state", "community"]
    search_fields = ["title", "need", "idea", "proposer__email"]
    list_select_related = ["community", "proposer", "organisation"]
    date_hierarchy = "created_at"
    inlines = [NeededRoleInline, NeededResourceInline, ProposalRevisionInline]
    actions = ["evaluate_now"]

    @admin.action(description="Evaluate now: threshold reached or deadline missed")
    def evaluate_now(self, request: HttpRequest, queryset: QuerySet[Proposal]) -> None:
        now = timezone.now()
        moved = sum(
            1
            for proposal in queryset
            if proposal_evaluate(proposal=proposal, now=now).state != proposal.state
        )
        self.message_user(request, f"{moved} proposals moved on.", messages.SUCCESS)


@admin.register(ProposalRevision)
class ProposalRevisionAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "field", "revised_by", "revised_at"]
    list_select_related = ["proposal", "revised_by"]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "proposal", "author", "parent", "created_at"]
    list_filter = ["community"]
    search_fields = ["body"]
    list_select_related = ["proposal", "author"]


@admin.register(Endorsement)
class EndorsementAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "person", "created_at"]
    list_select_related = ["proposal", "person"]


@admin.register(NeededRole)
class NeededRoleAdmin(ReadOnlyAdmin):
    list_display = ["title", "proposal", "skill", "minutes_per_week", "safeguarding_required"]
    list_select_related = ["proposal", "skill"]


@admin.register(NeededResource)
class NeededResourceAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "proposal", "kind"]
    list_select_related = ["proposal"]


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "proposal",
        "kind",
        "state",
        "min_others",
        "neighbourhood_only",
        "organisation",
        "created_at",
    ]
    list_filter = ["kind", "state", "community"]
    list_select_related = ["proposal", "pledger", "role", "organisation", "resource"]


class DecisionResponseInline(ReadOnlyInline):
    model = DecisionResponse
    fields = ["person", "kind", "reason", "block_state", "answer", "answered_by"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "state", "outcome", "quorum", "review_on", "opened_at", "closed_at"]
    list_filter = ["state", "outcome", "community"]
    list_select_related = ["proposal"]
    inlines = [DecisionResponseInline]


@admin.register(DecisionResponse)
class DecisionResponseAdmin(ReadOnlyAdmin):
    list_display = ["decision", "person", "kind", "block_state", "responded_at"]
    list_filter = ["kind", "block_state"]
    list_select_related = ["decision__proposal", "person"]


class ServiceLeadInline(ReadOnlyInline):
    model = ServiceLead
    fields = ["organisation", "person"]


class ServiceRoleInline(ReadOnlyInline):
    model = ServiceRole
    fields = ["title", "skill", "minutes_per_week", "safeguarding_required"]


class MilestoneInline(ReadOnlyInline):
    model = Milestone
    fields = ["title", "status", "due_on", "done_on"]


@admin.register(Service)
class ServiceAdmin(ReadOnlyAdmin):
    list_display = [
        "title",
        "community",
        "status",
        "credit_rule",
        "credit_organisation",
        "review_on",
        "created_at",
    ]
    list_filter = ["status", "credit_rule", "community"]
    search_fields = ["title", "description"]
    list_select_related = ["community", "credit_organisation"]
    inlines = [ServiceLeadInline, ServiceRoleInline, MilestoneInline]


@admin.register(ServiceLead)
class ServiceLeadAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "service", "organisation", "person"]
    list_select_related = ["service", "organisation", "person"]


@admin.register(ServiceRole)
class ServiceRoleAdmin(ReadOnlyAdmin):
    list_display = ["title", "service", "skill", "minutes_per_week", "safeguarding_required"]
    list_select_related = ["service", "skill"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["person", "role", "state", "offered_at", "answered_at"]
    list_filter = ["state", "community"]
    list_select_related = ["person", "role__service"]


class SessionSignupInline(ReadOnlyInline):
    model = SessionSignup
    fields = ["person", "created_at"]


class AttendanceInline(ReadOnlyInline):
    model = Attendance
    fields = ["person", "role", "minutes", "method", "transfer"]


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    list_display = [
        "service",
        "starts_at",
        "duration_minutes",
        "location",
        "capacity",
        "lead",
        "state",
    ]
    list_filter = ["state", "community"]
    date_hierarchy = "starts_at"
    list_select_related = ["service", "lead"]
    inlines = [SessionSignupInline, AttendanceInline]


@admin.register(SessionSignup)
class SessionSignupAdmin(ReadOnlyAdmin):
    list_display = ["person", "session", "created_at"]
    list_select_related = ["person", "session__service"]


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyAdmin):
    list_display = ["person", "session", "role", "minutes", "method", "transfer", "created_at"]
    list_filter = ["role", "method", "community"]
    list_select_related = ["person", "session__service", "transfer"]


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdmin):
    list_display = ["title", "service", "status", "due_on", "done_on"]
    list_filter = ["status"]
    list_select_related = ["service"]


@admin.register(MilestoneSession)
class MilestoneSessionAdmin(ReadOnlyAdmin):
    list_display = ["milestone", "session"]
    list_select_related = ["milestone", "session__service"]


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    list_display = ["service", "review_on", "person", "happened", "working"]
    list_filter = ["happened", "working"]
    list_select_related = ["service", "person"]


@admin.register(SelfAssessment)
class SelfAssessmentAdmin(ReadOnlyAdmin):
    list_display = [
        "service",
        "person",
        "assets",
        "capacity",
        "mutuality",
        "networks",
        "shared_roles",
        "catalysts",
        "updated_at",
    ]
    list_select_related = ["service", "person"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ["user", "community", "frequency", "last_digest_at"]
    list_filter = ["frequency", "community"]
    list_select_related = ["user", "community"]


@admin.register(DigestItem)
class DigestItemAdmin(ReadOnlyAdmin):
    list_display = ["subject", "user", "community", "created_at", "sent_at"]
    list_select_related = ["user", "community"]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["kind", "target_id", "on_date", "person", "sent_at"]
    list_filter = ["kind"]
    list_select_related = ["person"]
