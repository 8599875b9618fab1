"""Center-operations demo data, written through the real services: a system-outage plan and a
complaint-escalation plan with three levels each, a drill of the outage plan last month
(acknowledged, checklist done, closed and reviewed) and a real level-2 complaint escalation two weeks
ago, closed and reviewed; materials; equipment with a fault history (one device under its 99%
target this month); budget lines (one near its 80% line)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from kefu.accounts.models import Team, User
from kefu.operations import budget, equipment, services, stock
from kefu.operations.choices import CostKind, DeviceKind, Duty, PlanKind
from kefu.operations.models import BudgetLine, Device, Incident, Material, Store
from kefu.operations.services import ActionInput, LevelInput
from kefu.tickets.choices import TicketStatus
from kefu.tickets.models import Category, Ticket
from kefu.tickets.services import category_save, ticket_auto_close, ticket_change_status


@dataclass
class OperationsDemoSummary:
    plans: int = 0
    incidents: int = 0
    requisitions: int = 0
    devices: int = 0


def _once(roles: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for user_id, duty in roles:
        if all(user_id != u for u, _d in out):
            out.append((user_id, duty))
    return out


def _levels(leads: list[User], manager: User, admin: User, agents: list[User], steps: dict[int, list[str]], materials: str, contacts: str) -> list[LevelInput]:
    return [
        LevelInput(
            level=1, title="班组处置", ack_minutes=5, steps=steps[1], materials=materials,
            roles=_once([(leads[0].pk, Duty.DECIDES)] + [(a.pk, Duty.ACTS) for a in agents[:2]]),
        ),
        LevelInput(
            level=2, title="中心处置", ack_minutes=5, steps=steps[2], materials=materials, outside_contacts=contacts,
            roles=_once([(manager.pk, Duty.DECIDES)] + [(lead.pk, Duty.ACTS) for lead in leads] + [(a.pk, Duty.NOTIFIED) for a in agents[:2]]),
        ),
        LevelInput(
            level=3, title="公司级响应", ack_minutes=3, steps=steps[3], materials=materials, outside_contacts=contacts,
            roles=_once([(admin.pk, Duty.DECIDES), (manager.pk, Duty.ACTS)] + [(lead.pk, Duty.ACTS) for lead in leads]),
        ),
    ]  # fmt: skip


OUTAGE_STEPS = {
    1: ["确认故障范围与影响客户数", "启用系统故障话术，统一对外口径", "每 15 分钟向主管通报进展"],
    2: ["通知技术支持与厂商排查", "IVR 插播故障公告", "启用纸质受理单登记来电", "调用备岗坐席支援"],
    3: ["启动公司级应急响应", "发布官方公告（微博/公众号）", "准备补偿方案"],
}
COMPLAINT_STEPS = {
    1: ["班组长 30 分钟内联系客户", "核实事实并记录诉求"],
    2: ["主管与专家会商处理方案", "法务审核回复口径", "24 小时内给出处理结果"],
    3: ["中心经理亲自处理", "舆情监测每小时通报", "对外统一口径"],
}


def load_operations_demo(*, manager: User) -> OperationsDemoSummary:
    summary = OperationsDemoSummary()
    admin = User.objects.filter(is_superuser=True).order_by("id").first() or manager
    leads = list(User.objects.filter(role="team_lead", is_active=True).order_by("username")[:3]) or [manager]
    agents = list(User.objects.filter(role="agent", is_active=True).order_by("username")[:4])
    outage = services.plan_create(
        actor=manager, name="系统故障应急预案", kind=PlanKind.SYSTEM_OUTAGE,
        description="呼叫中心系统、工单系统或网络中断时启用。",
        levels=_levels(leads, manager, admin, agents, OUTAGE_STEPS, "备用耳麦 10 副、纸质受理单 200 份、应急手机 2 部",
                       "系统厂商 7×24 热线 400-800-1234；机房值班 021-5555-0101"),
    )  # fmt: skip
    complaint = services.plan_create(
        actor=manager, name="投诉升级应急预案", kind=PlanKind.COMPLAINT_ESCALATION,
        description="重大投诉、媒体曝光、12315 或群体投诉时启用。",
        levels=_levels(leads, manager, admin, agents, COMPLAINT_STEPS, "补偿礼品、致歉信模板",
                       "公司法务 021-5555-0202；公关部 021-5555-0303"),
    )  # fmt: skip
    summary.plans = 2
    now = timezone.now()

    # Last month's drill of the outage plan: everyone acknowledged within a minute.
    at = now - timedelta(days=30)
    drill = services.incident_activate(actor=manager, plan_id=outage.pk, level=2, title="季度演练：工单系统宕机", is_drill=True, now=at)
    _work(drill.pk, manager=manager, at=at, leads=leads)
    services.review_write(
        actor=manager, incident_id=drill.pk, key_points="全员 1 分钟内确认；纸质受理单启用用时 6 分钟。",
        causes="演练：模拟数据库主库故障。",
        actions=[ActionInput(text="纸质受理单放到每个班组工位", owner_id=leads[0].pk, due_on=(at + timedelta(days=7)).date())],
        now=at + timedelta(hours=2),
    )  # fmt: skip
    # A real complaint escalation two weeks ago, raised to level 2.
    at = now - timedelta(days=14)
    real = services.incident_activate(actor=leads[0], plan_id=complaint.pk, level=1, title="客户威胁媒体曝光：宽带多次维修未果", now=at)
    services.incident_change_level(actor=manager, incident_id=real.pk, level=2, now=at + timedelta(minutes=20))
    _work(real.pk, manager=manager, at=at + timedelta(minutes=20), leads=leads)
    services.review_write(
        actor=manager, incident_id=real.pk, key_points="升级后 3 小时内与客户达成和解。", causes="同一故障三次上门未修复，未触发重复投诉预警。",
        actions=[ActionInput(text="重复报修 2 次自动升级班组长", owner_id=manager.pk, due_on=(at + timedelta(days=30)).date())],
        now=at + timedelta(hours=5),
    )  # fmt: skip
    summary.incidents = 2
    lines = budget_lines_demo(manager=manager)
    summary.requisitions = _materials(manager=manager, leads=leads, agents=agents or leads)
    summary.devices = load_equipment_demo(manager=manager)
    budget_postings_demo(manager=manager, lines=lines)
    return summary


MATERIALS = [
    ("备用耳麦", "副", "120", False, 24), ("话务登记表", "本", "8", False, 300), ("打印纸 A4", "包", "25", False, 60),
    ("消毒液", "瓶", "18", False, 40), ("应急口罩", "盒", "30", True, 50), ("应急手机", "部", "900", True, 2),
]  # fmt: skip


def _materials(*, manager: User, leads: list[User], agents: list[User]) -> int:
    store = stock.catalogue_add(actor=manager, store="一楼库房")
    assert isinstance(store, Store)
    items: list[Material] = []
    for name, unit, price, emergency, qty in MATERIALS:
        m = stock.catalogue_add(actor=manager, material=name, unit=unit, unit_price=Decimal(price), is_emergency=emergency)
        assert isinstance(m, Material)
        stock.stock_receive(actor=manager, store_id=store.pk, material_id=m.pk, quantity=qty, note="期初入库")
        items.append(m)
    lead = leads[0]
    second = manager if lead.pk != manager.pk else (leads[1] if len(leads) > 1 else manager)
    done = stock.requisition_create(actor=agents[0], store_id=store.pk, material_id=items[0].pk, quantity=2, reason="耳麦线损坏")
    stock.requisition_decide(actor=lead, requisition_id=done.pk, approve=True)
    stock.requisition_issue(actor=lead, requisition_id=done.pk)
    masks = stock.requisition_create(actor=agents[-1], store_id=store.pk, material_id=items[4].pk, quantity=5, reason="流感季防护")
    stock.requisition_decide(actor=lead, requisition_id=masks.pk, approve=True)
    stock.requisition_issue(actor=lead, requisition_id=masks.pk)
    if second.pk != lead.pk:
        stock.requisition_confirm(actor=second, requisition_id=masks.pk)
    stock.requisition_create(actor=agents[0], store_id=store.pk, material_id=items[1].pk, quantity=50, reason="本月登记表")
    phone = stock.requisition_create(actor=lead, store_id=store.pk, material_id=items[5].pk, quantity=1, reason="应急值班")
    stock.requisition_decide(actor=manager, requisition_id=phone.pk, approve=True)
    stock.stock_count(actor=manager, store_id=store.pk, material_id=items[2].pk, counted=58, reason="两包受潮报废")
    return 4


def _work(incident_id: int, *, manager: User, at: datetime, leads: list[User]) -> None:
    incident = Incident.objects.get(pk=incident_id)
    for i, notice in enumerate(incident.notices.select_related("user").order_by("id")):
        services.incident_acknowledge(actor=notice.user, incident_id=incident_id, now=at + timedelta(seconds=20 + 7 * i))
    for i, step in enumerate(incident.steps.order_by("level", "position")):
        services.incident_step_done(actor=leads[0], incident_id=incident_id, step_id=step.pk, now=at + timedelta(minutes=5 + 4 * i))
    services.incident_message(actor=manager, incident_id=incident_id, text="已恢复，继续观察 30 分钟。", now=at + timedelta(hours=1))
    services.incident_close(actor=manager, incident_id=incident_id, now=at + timedelta(hours=1, minutes=30))


# --- equipment -----------------------------------------------------------------------------------------

IT_TEAM = "IT 运维组"
FAULT_CATEGORY = "设备故障"
DEVICES = [
    *[(f"缤特力耳麦 {i}号", DeviceKind.HEADSET, f"EJ-{i:03d}", f"一线 A 区 {i} 号工位") for i in range(1, 7)],
    *[(f"IP 话机 {i}号", DeviceKind.PHONE, f"DH-{i:03d}", f"一线 A 区 {i} 号工位") for i in range(1, 4)],
    *[(f"坐席电脑 {i}号", DeviceKind.PC, f"PC-{i:03d}", f"一线 A 区 {i} 号工位") for i in range(1, 5)],
    ("前台打印机", DeviceKind.PRINTER, "PR-001", "前台"),
    ("票据打印机", DeviceKind.PRINTER, "PR-002", "售后接待台"),
    ("大厅排队机", DeviceKind.QUEUE_MACHINE, "QM-001", "一楼营业厅"),
]  # fmt: skip


@contextmanager
def _clock_at(moment: datetime) -> Iterator[None]:
    """timezone.now() answers `moment` while the loader writes the past (as kefu/demo/seed.py does)."""
    real = timezone.now
    timezone.now = lambda: moment  # type: ignore[assignment]
    try:
        yield
    finally:
        timezone.now = real  # type: ignore[assignment]


def _fault(lead: User, manager: User, device: Device, at: datetime, hours: float | None, text: str) -> None:
    fault = equipment.fault_report(actor=lead, device_id=device.pk, description=text, now=at)
    if hours is None:
        return
    done = at + timedelta(hours=hours)
    with _clock_at(done):
        ticket_change_status(actor=manager, number=fault.ticket.number, status=TicketStatus.RESOLVED, comment="已修复")
    # A repair resolved long enough ago was closed by the auto-close clock, as in a running center.
    due = Ticket.objects.filter(pk=fault.ticket_id).values_list("auto_close_due_at", flat=True).get()
    if due is not None and due < timezone.now():
        ticket_auto_close(ticket_id=fault.ticket_id, due_at=due, now=due + timedelta(seconds=1))


def load_equipment_demo(*, manager: User) -> int:
    """Devices of every kind with maintenance plans, last month's and this month's faults (routed to
    the IT team as 设备故障 tickets, resolved through the ticket services), one fault still open and
    the queue machine under its 99% target this month."""
    now = timezone.now()
    zone = timezone.get_current_timezone()
    team = Team.objects.filter(name=IT_TEAM).first() or Team.objects.create(name=IT_TEAM, kind="back_office", assignment_mode="manual")
    category = Category.objects.filter(parent=None, name=FAULT_CATEGORY).first() or category_save(category=Category(name=FAULT_CATEGORY))
    equipment.fault_routing_set(actor=manager, category_id=category.pk, team_id=team.pk)
    since = (now - timedelta(days=120)).date()
    devices = {
        asset: equipment.device_create(actor=manager, name=name, kind=kind, asset_no=asset, location=where,
                                       in_service_since=since, now=now - timedelta(days=120))  # fmt: skip
        for name, kind, asset, where in DEVICES
    }
    lead = User.objects.filter(role="team_lead", is_active=True).order_by("username").first() or manager
    month_start = datetime.combine(timezone.localdate(now).replace(day=1), time(0), zone)
    # This month's faults of the queue machine: 6 h + 5 h of the whole month's ~730 h → under 99%.
    base = month_start + timedelta(hours=1) if now - month_start > timedelta(hours=20) else now - timedelta(days=3)
    last_month = month_start - timedelta(days=20)
    history = [
        (devices["QM-001"], last_month, 1.5, "叫号屏不显示"),
        (devices["EJ-003"], last_month + timedelta(days=3), 2, "耳麦左声道无声"),
        (devices["PC-002"], last_month + timedelta(days=6), 26, "蓝屏，硬盘故障，更换硬盘"),
        (devices["DH-001"], last_month + timedelta(days=9), 0.5, "话机无法注册"),
        (devices["QM-001"], base, 6, "排队机死机，取号纸无法打印"),
        (devices["QM-001"], base + timedelta(hours=9), 5, "排队机触摸屏失灵"),
        (devices["EJ-001"], now - timedelta(hours=20), 1, "麦克风有杂音"),
        (devices["PR-001"], now - timedelta(hours=3), None, "频繁卡纸"),
    ]
    for device, at, hours, text in history:
        if hours is None or at + timedelta(hours=hours) < now:
            _fault(lead, manager, device, at, hours, text)
    today = timezone.localdate(now)
    equipment.maintenance_plan_add(actor=manager, device_id=devices["PR-001"].pk, task="清洁打印头、检查硒鼓", interval_days=30,
                                   first_due_on=today + timedelta(days=2))  # fmt: skip
    equipment.maintenance_plan_add(actor=manager, device_id=devices["QM-001"].pk, task="排队机系统巡检、更换取号纸", interval_days=90,
                                   first_due_on=today + timedelta(days=40))  # fmt: skip
    for i in range(1, 7):
        plan = equipment.maintenance_plan_add(actor=manager, device_id=devices[f"EJ-{i:03d}"].pk, task="耳麦清洁消毒、更换耳棉",
                                              interval_days=14, first_due_on=today - timedelta(days=14))  # fmt: skip
        if i <= 4:
            equipment.maintenance_done(actor=lead, plan_id=plan.pk, done_on=today - timedelta(days=i), note="已清洁消毒",
                                       now=now - timedelta(days=i))  # fmt: skip
    return len(devices)


# --- budget --------------------------------------------------------------------------------------------

BUDGET_LINES = [
    (CostKind.TRAINING, "", "120000"), (CostKind.SYSTEM, "", "200000"), (CostKind.EQUIPMENT_REPAIR, "", "30000"),
    (CostKind.OUTSOURCING, "", "300000"), (CostKind.MATERIALS, "", "10000"),
]  # fmt: skip


def budget_lines_demo(*, manager: User) -> dict[str, BudgetLine]:
    """This year's lines, before the materials demo, so its approved requisitions commit the materials line."""
    now = timezone.now()
    year = timezone.localdate(now).year
    return {
        kind: budget.line_create(actor=manager, year=year, cost_kind=kind, name=name, plan=Decimal(plan), now=now - timedelta(days=200))
        for kind, name, plan in BUDGET_LINES
    }


def budget_postings_demo(*, manager: User, lines: dict[str, BudgetLine]) -> None:
    """Spending through the year: materials near its 80% line (just under), equipment repair past it
    after a reallocation (alerted once), a training project with its cost for the return view."""
    now = timezone.now()
    today = timezone.localdate(now)

    def post(kind: str, entry: str, amount: str, note: str, days_ago: int, project: int | None = None) -> None:
        budget.entry_post(actor=manager, line_id=lines[kind].pk, kind=entry, amount=Decimal(amount), note=note, project_id=project,
                          now=now - timedelta(days=days_ago))  # fmt: skip

    post(CostKind.MATERIALS, "actual", "4200", "一季度办公耗材", 150)
    post(CostKind.MATERIALS, "actual", "2300", "耳麦批量采购", 60)
    post(CostKind.SYSTEM, "commitment", "150000", "呼叫中心系统年度维保合同", 180)
    post(CostKind.SYSTEM, "actual", "30000", "CTI 接口开发", 90)
    post(CostKind.OUTSOURCING, "actual", "180000", "外包坐席服务费（1–8 月）", 40)
    post(CostKind.EQUIPMENT_REPAIR, "actual", "18000", "坐席电脑硬盘更换", 120)
    post(CostKind.EQUIPMENT_REPAIR, "actual", "7800", "打印机维修", 50)
    budget.reallocate(actor=manager, from_line_id=lines[CostKind.SYSTEM].pk, to_line_id=lines[CostKind.EQUIPMENT_REPAIR].pk,
                      amount=Decimal("5000"), reason="排队机主板更换，系统维保有结余", now=now - timedelta(days=30))  # fmt: skip
    post(CostKind.EQUIPMENT_REPAIR, "actual", "3600", "排队机主板更换", 20)  # 29,400 of 35,000: 84%
    team = Team.objects.filter(name="投诉处理组").first()
    project = budget.project_create(
        actor=manager, line_id=lines[CostKind.TRAINING].pk, name="投诉处理话术培训", team_id=team.pk if team else None,
        started_on=today - timedelta(days=24), ended_on=today - timedelta(days=20), window_days=14,
    )  # fmt: skip
    post(CostKind.TRAINING, "actual", "16000", "外聘讲师两天课程", 20, project.pk)
    post(CostKind.TRAINING, "actual", "42000", "新员工岗前培训", 100)
