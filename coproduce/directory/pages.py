"""The directory's one page for people: a community's coordinators turn its listing in the
open HSDS directory on and off (the same service as `coproduce directory publish`)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from coproduce.communities.access import member_required
from coproduce.communities.models import Community, Membership
from coproduce.directory.forms import PublishForm
from coproduce.directory.models import DirectorySettings
from coproduce.directory.services import directory_publish_set
from coproduce.people.models import User


@require_http_methods(["GET", "POST"])
@member_required(staff=True)
def publishing(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    current = (
        DirectorySettings.objects.filter(community=community).select_related("changed_by").first()
    )
    published = bool(current and current.publish)
    form = PublishForm(initial={"publish": published})
    if request.method == "POST":
        form = PublishForm(request.POST)
        if form.is_valid():
            publish = form.cleaned_data["publish"]
            user = request.user
            assert isinstance(user, User)
            directory_publish_set(community=community, publish=publish, changed_by=user)
            messages.success(
                request,
                _("Your services are now in the open directory.")
                if publish
                else _("Your services are no longer in the open directory."),
            )
            return redirect("directory_publishing:publishing", slug=community.slug)
    return render(
        request,
        "directory/publishing.html",
        {
            "community": community,
            "membership": membership,
            "form": form,
            "published": published,
            "current": current,
        },
    )
