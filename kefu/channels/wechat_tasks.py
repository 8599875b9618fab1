"""Background work of the WeChat channel: thin wrappers that call one service."""

from __future__ import annotations

from django.tasks import task

from kefu.channels import wechat_services


@task()
def wechat_process_task(*, contact_id: int) -> None:
    """Process a message the callback stored (a second run finds it processed and does nothing)."""
    wechat_services.contact_process(contact_id=contact_id)


@task()
def wecom_sync_task(*, account_id: int, sync_token: str = "", open_kfid: str = "") -> None:
    """Pull the WeCom 微信客服 messages a callback announced, then process each."""
    for contact_id in wechat_services.wecom_sync(account_id=account_id, sync_token=sync_token, open_kfid=open_kfid):
        wechat_services.contact_process(contact_id=contact_id)
