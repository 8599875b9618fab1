"""Defaults an install starts with (all editable in the admin)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

# code, name, rank, colour, min ratio, min count, ack/owner/note minutes, notify roles, escalate roles
DEFAULT_LEVELS = [
    ("blue", "蓝色预警", 1, "#3b82f6", Decimal("1.50"), 3, 240, 480, 1440, ["team_lead"], ["manager"]),
    (
        "yellow",
        "黄色预警",
        2,
        "#eab308",
        Decimal("2.00"),
        5,
        120,
        240,
        480,
        ["team_lead", "manager"],
        ["manager"],
    ),
    (
        "orange",
        "橙色预警",
        3,
        "#f97316",
        Decimal("2.50"),
        8,
        60,
        120,
        240,
        ["team_lead", "manager"],
        ["admin"],
    ),
    (
        "red",
        "红色预警",
        4,
        "#dc2626",
        Decimal("3.00"),
        10,
        15,
        30,
        120,
        ["team_lead", "manager", "admin"],
        ["admin"],
    ),
]

DEFAULT_CAUSES = [
    ("product", "产品", None),
    ("product_quality", "产品质量", "product"),
    ("product_design", "产品设计", "product"),
    ("process", "流程", None),
    ("process_gap", "流程缺失", "process"),
    ("process_boundary", "部门职责不清", "process"),
    ("attitude", "服务态度", None),
    ("logistics", "物流", None),
    ("system", "系统故障", None),
    ("policy", "政策与资费", None),
    ("customer", "客户原因", None),
]

DEFAULT_OPINION_RULES = [
    ("投诉", "投訴\ntousu", 1),
    ("曝光", "baoguang", 3),
    ("12315", "", 3),
    ("维权", "維權", 2),
    ("骗子", "騙子", 2),
    ("断网", "斷網\n网断了", 2),
    ("退款", "退款難\n退钱", 1),
    ("媒体", "記者\n记者", 3),
]

# A post whose keyword weights add up to this needs a look (shown on the board as an alert).
OPINION_ALERT_SCORE = 3
INCIDENT_PLAN_HOURS = 48
DETECT_EVERY_MINUTES = 10
HISTORY_DAYS = 120

# Joint handling tasks (supervisor + a named expert): hours to a joint conclusion, per reason.
DEFAULT_JOINT_TASK_HOURS = [("urgent", 2), ("major", 4), ("vip", 8)]

DUTY_LABELS = {
    "acknowledge": _("Acknowledge"),
    "assign_owner": _("Assign an owner"),
    "publish_note": _("Publish a handling note"),
}
