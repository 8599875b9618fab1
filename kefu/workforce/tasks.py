from __future__ import annotations

from django.tasks import task

from kefu.workforce.services import history_import_run


@task()
def history_import_run_task(*, import_id: int) -> None:
    history_import_run(import_id=import_id)
