from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from coproduce.communities.access import member_required
from coproduce.communities.models import Community, Membership
from coproduce.ledger.models import Entry, Transfer


@member_required
def transfer_detail(request: HttpRequest, community: Community, membership: Membership, pk: int) -> HttpResponse:
    """One transfer, for the people whose accounts it touches and for coordinators."""
    transfers = Transfer.objects.filter(community=community)
    if not membership.is_staff:
        transfers = transfers.filter(Q(entries__account__user=request.user) | Q(awaiting=request.user)).distinct()
    transfer = (
        transfers.select_related("recorded_by__profile", "on_behalf_of__profile", "confirmed_by__profile", "reverses")
        .filter(pk=pk)
        .first()
    )
    if transfer is None:
        raise Http404
    entries = Entry.objects.filter(transfer=transfer).select_related("account__user__profile", "account__organisation")
    return render(
        request,
        "ledger/transfer.html",
        {"community": community, "membership": membership, "nav": "time", "transfer": transfer, "entries": entries},
    )
