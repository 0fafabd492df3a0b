"""Background work: large batch runs are solved by a task, which updates the run's progress."""

from django_tasks import task

from coproduce.matching.models import MatchRun


@task()
def run_matching(*, run_id: int) -> int:
    """Solve a queued run; returns how many pairs it proposes."""
    from coproduce.matching.services import run_execute

    run = MatchRun.objects.select_related("community", "service").get(pk=run_id)
    return run_execute(run=run).matched
