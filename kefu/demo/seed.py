"""The demo data: a realistic, deterministic Chinese service center, written through the real services.

People, teams, skills and tiers are configuration (edited in the admin, no services yet) and are
created directly. Customers, categories and the whole ticket history go through the services the
product uses, with the clock set back to the moment each step happened, so every timeline, number,
first-response time and auto-close in the demo is what the product itself would have produced.
"""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone

from kefu.accounts.choices import Role
from kefu.accounts.models import Skill, Team, User
from kefu.appointments.demo import load_appointments_demo
from kefu.care.demo import load_care_demo
from kefu.channels.demo import load_channels_demo
from kefu.channels.demo_cti import load_cti_demo
from kefu.chat.demo import load_chat_demo
from kefu.complaints.demo import load_complaints_demo
from kefu.customers.models import Customer, CustomerAsset, CustomerTier
from kefu.customers.services import customer_create
from kefu.demo import data as D
from kefu.dispatch.services import rules_install_defaults
from kefu.knowledge.demo import load_knowledge_demo
from kefu.operations.demo import load_operations_demo
from kefu.performance.demo import load_performance_demo
from kefu.points.demo import load_points_demo
from kefu.quality.demo import load_quality_demo
from kefu.reports.demo import load_reports_demo
from kefu.sla.services import sla_recompute_all
from kefu.tickets.access import portal_token
from kefu.tickets.choices import MessageKind, Priority, TicketStatus
from kefu.tickets.models import Category, Ticket
from kefu.tickets.services import (
    TicketInput,
    category_save,
    ticket_add_message,
    ticket_assign,
    ticket_auto_close,
    ticket_change_priority,
    ticket_change_status,
    ticket_create,
    ticket_customer_reopen,
    ticket_customer_reply,
    ticket_transfer,
)
from kefu.triage.demo import load_triage_demo
from kefu.workforce.demo import load_workforce_demo

SEED = 20261122
MARKER_USERNAME = "agent1"
DEMO_USERNAMES = ["admin", "manager", "lead1", "lead2", "lead3", *[f"agent{i}" for i in range(1, 21)], "qa1", "qa2", "qalead"]

# Staff work (and customers write) from 08:00 to 22:00; a step outside waits for the next morning.
WORK_START_HOUR, WORK_END_HOUR = 8, 22
# Contacts per hour of the day (local time): the morning and afternoon peaks of a hotline.
HOUR_WEIGHTS = [1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.6, 1.5, 4, 8, 9, 8, 6, 6, 8, 8, 7, 6, 5, 5, 4, 3, 2, 1.5]


def demo_present() -> bool:
    return User.objects.filter(username=MARKER_USERNAME).exists()


def database_in_use() -> bool:
    """Data a demo must not be mixed into: tickets, customers or demo-named users already there."""
    return (
        Ticket.objects.exists()
        or Customer.objects.exists()
        or User.objects.filter(username__in=DEMO_USERNAMES).exists()
    )


@contextmanager
def _clock_at(moment: datetime) -> Iterator[None]:
    """Make timezone.now() answer `moment`, so services and auto_now fields stamp the past.

    The services read the time through django.utils.timezone.now (and so do Django's auto_now
    fields); swapping that one attribute is enough, and keeps a test-only library such as
    time_machine out of the runtime dependencies. Only for this single-threaded loader.
    """
    real = timezone.now
    timezone.now = lambda: moment  # type: ignore[assignment]
    try:
        yield
    finally:
        timezone.now = real  # type: ignore[assignment]


@dataclass
class Staff:
    admin: User
    manager: User
    qa: User
    leads: dict[str, User]  # team name -> lead
    members: dict[str, list[User]]  # team name -> agents (leads not included)
    teams: dict[str, Team]

    def workers(self, team: str) -> list[User]:
        """Who works tickets in a team: its agents (and its lead, occasionally)."""
        return self.members[team]


@dataclass
class CustomerInfo:
    customer: Customer
    phone: str
    vehicle: dict[str, str] | None = None
    orders: list[dict[str, str]] = field(default_factory=list)
    plan: str = ""
    phone_model: str = ""
    city: str = ""


@dataclass
class DemoSummary:
    users: int = 0
    customers: int = 0
    tickets: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    transfers: int = 0
    messages: int = 0


class DemoSeeder:
    def __init__(self, *, tickets: int, customers: int, days: int = 90, seed: int = SEED) -> None:
        self.n_tickets = tickets
        self.n_customers = customers
        self.days = days
        self.rng = random.Random(seed)
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.now = timezone.now()
        # Leave a little room so nothing is stamped in the future relative to the first page load.
        self.cutoff = self.now - timedelta(minutes=2)
        self.summary = DemoSummary()
        self._phones: set[str] = set()
        self._order_seq = 0

    # --- entry -----------------------------------------------------------------------------------

    def run(self) -> DemoSummary:
        # History replies are not news: nobody is emailed for them. A dummy task backend swallows
        # the notifications the reply service enqueues on commit.
        with override_settings(TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}):
            with transaction.atomic():
                staff = self._staff()
                tiers = self._tiers()
                categories = self._categories()
                customers = self._customers(staff, tiers)
                self._tickets(staff, categories, customers)
                load_knowledge_demo(author=staff.members[D.FRONT_TEAM][0], reviewer=staff.leads[D.FRONT_TEAM], manager=staff.manager)
        return self.summary

    # --- configuration ---------------------------------------------------------------------------

    def _name(self) -> tuple[str, str]:
        """A Chinese name and its pinyin (for email addresses)."""
        surnames, weights = zip(*[(s[:2], s[2]) for s in D.SURNAMES], strict=True)
        surname, s_py = self.rng.choices(surnames, weights)[0]
        chars = self.rng.sample(D.GIVEN_CHARS, 2 if self.rng.random() < 0.7 else 1)
        return surname + "".join(c for c, _ in chars), s_py + "".join(p for _, p in chars)

    def _staff(self) -> Staff:
        skills = {name: Skill.objects.create(name=name, kind=kind) for name, kind in D.SKILLS}
        teams: dict[str, Team] = {}
        for name, kind, mode, is_default, _skills in D.TEAMS:
            teams[name] = Team.objects.create(name=name, kind=kind, assignment_mode=mode, is_default=is_default)
        team_skills = {t[0]: t[4] for t in D.TEAMS}
        # One hash for every demo user: hashing 26 times would cost most of a minute.
        password = make_password(D.DEMO_PASSWORD)
        presences, p_weights = zip(*D.PRESENCE_WEIGHTS.items(), strict=True)

        def make(username: str, role: str, team: Team | None, **extra: object) -> User:
            display, py = self._name()
            user = User.objects.create(
                username=username,
                password=password,
                role=role,
                team=team,
                display_name=display,
                email=f"{username}@kefu.example.com",
                presence=self.rng.choices(presences, p_weights)[0] if role in (Role.AGENT, Role.TEAM_LEAD) else "offline",
                **extra,
            )
            names = set(team_skills.get(team.name, ["普通话"]) if team else ["普通话"])
            if role == Role.AGENT and self.rng.random() < 0.5:
                names.add(self.rng.choice(D.EXTRA_SKILLS))
            user.skills.set([skills[n] for n in sorted(names)])
            self.summary.users += 1
            return user

        admin = make("admin", Role.ADMIN, None, is_superuser=True, is_staff=True, can_see_contacts=True)
        manager = make("manager", Role.MANAGER, None, is_staff=True, can_see_contacts=True)
        leads = {team: make(f"lead{i}", Role.TEAM_LEAD, teams[team], is_staff=True, capacity=30)
                 for i, team in enumerate(D.LEAD_TEAMS, start=1)}
        members: dict[str, list[User]] = {name: [] for name in teams}
        n = 0
        for team, count in D.AGENTS_PER_TEAM.items():
            for _ in range(count):
                n += 1
                members[team].append(make(f"agent{n}", Role.AGENT, teams[team], capacity=self.rng.choice([15, 20, 20, 25])))
        qa = make("qa1", Role.QA, None)
        return Staff(admin=admin, manager=manager, qa=qa, leads=leads, members=members, teams=teams)

    def _tiers(self) -> dict[str, CustomerTier]:
        return {
            name: CustomerTier.objects.create(name=name, rank=rank, is_default=is_default)
            for name, rank, is_default in D.TIERS
        }

    def _categories(self) -> dict[tuple[str, str], Category]:
        leaves: dict[tuple[str, str], Category] = {}
        for i, (parent_name, children) in enumerate(D.CATEGORIES.items()):
            parent = category_save(category=Category(name=parent_name, sort_order=i))
            for j, child in enumerate(children):
                leaves[(parent_name, child)] = category_save(category=Category(name=child, parent=parent, sort_order=j))
        return leaves

    # --- customers -------------------------------------------------------------------------------

    def _mobile(self) -> str:
        while True:
            number = self.rng.choice(D.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self._phones:
                self._phones.add(number)
                return number

    def _id_number(self, region: str) -> str:
        born = date(1950, 1, 1) + timedelta(days=self.rng.randrange(365 * 55))
        body = f"{region}{born:%Y%m%d}{self.rng.randrange(1000):03d}"
        weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
        return body + check

    def _vin(self) -> str:
        alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # no I, O, Q in a VIN
        return "L" + "".join(self.rng.choice(alphabet) for _ in range(16))

    def _plate(self, prefix: str) -> str:
        letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
        tail = "".join(self.rng.choice(letters + "0123456789") for _ in range(4))
        return f"{prefix}{self.rng.choice(letters)}{tail}" if self.rng.random() < 0.3 else f"{prefix}{tail}{self.rng.randrange(10)}"

    def _order_number(self, when: datetime) -> str:
        self._order_seq += 1
        return f"DD{when:%Y%m%d}{self._order_seq:06d}"

    def _customers(self, staff: Staff, tiers: dict[str, CustomerTier]) -> list[CustomerInfo]:
        account_managers = staff.members[D.FRONT_TEAM][:4] + [staff.leads[D.FRONT_TEAM]]
        out: list[CustomerInfo] = []
        assets: list[CustomerAsset] = []
        for _ in range(self.n_customers):
            name, py = self._name()
            city, plate_prefix, region = self.rng.choice(D.CITIES)
            tier_name = self.rng.choices(["普通", "金卡", "钻石"], [80, 15, 5])[0]
            is_vip = tier_name == "钻石" or (tier_name == "金卡" and self.rng.random() < 0.3)
            phones = [self._mobile()]
            if self.rng.random() < 0.1:
                phones.append(self._mobile())
            email = ""
            if self.rng.random() < 0.35:
                email = f"{py}{self.rng.randrange(1, 999)}@{self.rng.choice(D.EMAIL_DOMAINS)}"
            tags = self.rng.sample(D.CUSTOMER_TAGS, 1) if self.rng.random() < 0.2 else []
            if is_vip:
                tags.append("高价值")
            joined = self.now - timedelta(days=self.rng.randrange(20, 1500), minutes=self.rng.randrange(1440))
            with _clock_at(joined):
                customer = customer_create(
                    actor=staff.admin,
                    name=name,
                    phones=phones,
                    email=email,
                    wechat_id=f"wxid_{py}{self.rng.randrange(100, 9999)}" if self.rng.random() < 0.3 else "",
                    id_number=self._id_number(region) if self.rng.random() < 0.4 else "",
                    tier=tiers[tier_name],
                    is_vip=is_vip,
                    account_manager=self.rng.choice(account_managers) if is_vip else None,
                    tags=sorted(set(tags)),
                    notes=f"常住{city}。" if self.rng.random() < 0.3 else "",
                )
            info = CustomerInfo(customer=customer, phone=phones[0], city=city)
            if self.rng.random() < 0.25:
                car, vin, plate = self.rng.choice(D.CAR_MODELS), self._vin(), self._plate(plate_prefix)
                info.vehicle = {"car": car, "vin": vin, "plate": plate}
                bought = joined.date() + timedelta(days=self.rng.randrange(0, 300))
                km = self.rng.randrange(3, 90) * 1000
                # The last service on file, 5 to 7 months ago (no extra draw: the seed's sequence stays),
                # so the 6-month maintenance plan has reminders due around now (定期保养提醒).
                serviced = max(bought, self.now.date() - timedelta(days=150 + len(assets) * 7 % 60))
                assets.append(CustomerAsset(
                    customer=customer, kind="vehicle", identifier=vin, name=f"{plate} {car}",
                    attributes={"plate": plate, "model": car, "purchased_on": bought.isoformat(),
                                "mileage_km": km, "last_service_on": serviced.isoformat()},
                ))
            for _ in range(self.rng.choice([0, 0, 1, 1, 2, 3])):
                ordered = self.now - timedelta(days=self.rng.randrange(1, 200))
                order = {"order": self._order_number(ordered), "goods": self.rng.choice(D.ORDER_GOODS),
                         "amount": f"{self.rng.randrange(39, 3999)}.00"}
                info.orders.append(order)
                assets.append(CustomerAsset(
                    customer=customer, kind="order", identifier=order["order"], name=order["goods"],
                    attributes={"amount": order["amount"], "ordered_on": ordered.date().isoformat()},
                ))
            if self.rng.random() < 0.4:
                info.plan = self.rng.choice(D.BROADBAND_PLANS)
                account = f"KD{self.rng.randrange(10**10):010d}"
                assets.append(CustomerAsset(customer=customer, kind="device", identifier=account, name=info.plan,
                                            attributes={"address_city": city}))
            info.phone_model = self.rng.choice(D.PHONE_MODELS)
            out.append(info)
            self.summary.customers += 1
        # No customer-asset service exists yet; assets are plain rows owned by their customer.
        CustomerAsset.objects.bulk_create(assets)
        return out

    # --- time ------------------------------------------------------------------------------------

    def _arrivals(self) -> list[datetime]:
        today = timezone.localtime(self.now, self.tz).date()
        hours = list(range(24))
        out: list[datetime] = []
        while len(out) < self.n_tickets:
            day = today - timedelta(days=self.rng.randrange(self.days))
            if day.weekday() >= 5 and self.rng.random() < 0.3:
                continue  # weekends are quieter
            hour = self.rng.choices(hours, HOUR_WEIGHTS)[0]
            at = datetime(day.year, day.month, day.day, hour, self.rng.randrange(60), self.rng.randrange(60), tzinfo=self.tz)
            if at < self.cutoff - timedelta(minutes=5):
                out.append(at)
        out.sort()
        return out

    def _later(self, t: datetime, lo_minutes: float, hi_minutes: float) -> datetime:
        """A staff step `lo`–`hi` minutes after t, moved into working hours."""
        t2 = t + timedelta(minutes=self.rng.uniform(lo_minutes, hi_minutes))
        local = timezone.localtime(t2, self.tz)
        if local.hour >= WORK_END_HOUR or local.hour < WORK_START_HOUR:
            morning = local.date() + timedelta(days=1) if local.hour >= WORK_END_HOUR else local.date()
            t2 = datetime(morning.year, morning.month, morning.day, WORK_START_HOUR, 0, tzinfo=self.tz) + timedelta(
                minutes=self.rng.uniform(0, 90)
            )
        return t2

    # --- tickets ---------------------------------------------------------------------------------

    def _fill(self, text: str, info: CustomerInfo, slots: dict[str, str]) -> str:
        return text.format(name=info.customer.name, **slots)

    def _slots(self, info: CustomerInfo, at: datetime) -> dict[str, str]:
        rng = self.rng
        local = timezone.localtime(at, self.tz)
        earlier = local - timedelta(days=rng.randrange(1, 12))
        order = rng.choice(info.orders) if info.orders else {
            "order": self._order_number(earlier), "goods": rng.choice(D.ORDER_GOODS), "amount": f"{rng.randrange(39, 999)}.00"}
        vehicle = info.vehicle or {"car": rng.choice(D.CAR_MODELS), "vin": self._vin(), "plate": self._plate("粤B")}
        carrier = rng.choice(D.CARRIERS)
        return {
            "amount": f"{rng.choice([8, 10, 15, 19.9, 29, 30, 58, 88, 120, 199])}" if rng.random() < 0.6 else order["amount"],
            "date": f"{earlier.month}月{earlier.day}日",
            "month": str(earlier.month),
            "order": order["order"],
            "goods": order["goods"],
            "car": vehicle["car"],
            "vin": vehicle["vin"],
            "plate": vehicle["plate"],
            "phone_model": info.phone_model,
            "plan": info.plan or rng.choice(D.MOBILE_PLANS + D.BROADBAND_PLANS),
            "city": info.city,
            "carrier": carrier,
            "tracking": f"{D.TRACKING_PREFIX[carrier]}{rng.randrange(10**12):012d}",
            "days": str(rng.randrange(2, 9)),
        }

    def _tickets(self, staff: Staff, categories: dict[tuple[str, str], Category], customers: list[CustomerInfo]) -> None:
        leaves = list(D.LEAVES.items())
        leaf_weights = [int(spec["weight"]) for _, spec in leaves]  # type: ignore[call-overload]
        # A few customers call again and again.
        cust_weights = [5 if self.rng.random() < 0.15 else 1 for _ in customers]
        channels, ch_weights = zip(*D.CHANNEL_WEIGHTS.items(), strict=True)
        priorities, pr_weights = zip(*D.PRIORITY_WEIGHTS.items(), strict=True)
        for created in self._arrivals():
            key, spec = self.rng.choices(leaves, leaf_weights)[0]
            info = self.rng.choices(customers, cust_weights)[0] if customers else None
            self._one_ticket(
                staff=staff,
                key=key,
                category=categories[key],
                spec=spec,
                info=info,
                created=created,
                channel=self.rng.choices(channels, ch_weights)[0],
                priority=self.rng.choices(priorities, pr_weights)[0],
            )

    def _one_ticket(
        self,
        *,
        staff: Staff,
        key: tuple[str, str],
        category: Category,
        spec: dict[str, object],
        info: CustomerInfo | None,
        created: datetime,
        channel: str,
        priority: str,
    ) -> None:
        rng = self.rng
        kinds: dict[str, int] = spec["kinds"]  # type: ignore[assignment]
        kind = rng.choices(list(kinds), list(kinds.values()))[0]
        if info is None:
            info = CustomerInfo(customer=Customer(name="客户"), phone="")
        slots = self._slots(info, created)

        title, description = rng.choice(D.CASES[key])

        def pick(name: str) -> str:
            options: list[str] = spec.get(name) or []  # type: ignore[assignment]
            return self._fill(rng.choice(options), info, slots) if options else ""

        if kind == "complaint" and priority in (Priority.NORMAL, Priority.LOW):
            priority = rng.choices([Priority.HIGH, Priority.NORMAL, Priority.URGENT], [30, 65, 5])[0]
        if info.customer.is_vip and priority == Priority.NORMAL and rng.random() < 0.5:
            priority = Priority.HIGH
        tags = [rng.choice(D.TICKET_TAGS_BY_KIND[kind])] if rng.random() < 0.25 else []

        front = staff.teams[D.FRONT_TEAM]
        manager_of = info.customer.account_manager if info.customer.pk else None
        self_service = channel in D.SELF_SERVICE_CHANNELS
        actor: User | None = None
        assignee: User | None = None
        if not self_service:
            if manager_of is not None and manager_of.team_id == front.pk and rng.random() < 0.6:
                actor = manager_of  # a VIP reaches their dedicated account manager first
            else:
                actor = rng.choice(staff.members[D.FRONT_TEAM])
            if rng.random() < 0.8:
                assignee = actor
        with _clock_at(created):
            ticket = ticket_create(
                actor=actor,
                by_customer=self_service,
                at=created,
                data=TicketInput(
                    title=self._fill(title, info, slots),
                    description=self._fill(description, info, slots),
                    kind=kind,
                    channel=channel,
                    priority=priority,
                    category=category,
                    customer=info.customer if info.customer.pk else None,
                    contact_phone=info.phone,
                    team=front,
                    assignee=assignee,
                    tags=tags,
                ),
            )
        self.summary.tickets += 1
        number = ticket.number
        team = D.FRONT_TEAM
        t = created
        # Owner (首问负责人): whoever took the contact, else the first assignee; transfers keep it.
        state: dict[str, User | None] = {"assignee": assignee, "owner": actor}

        def step(lo: float, hi: float) -> bool:
            nonlocal t
            t2 = self._later(t, lo, hi)
            if t2 >= self.cutoff:
                return False
            t = t2
            return True

        def claim_in(team_name: str) -> bool:
            """The team's lead assigns the ticket, or (without a lead) an agent takes it."""
            if not step(3, 120):
                return False
            worker = rng.choice(staff.workers(team_name))
            lead = staff.leads.get(team_name)
            with _clock_at(t):
                ticket_assign(actor=lead if lead and rng.random() < 0.7 else worker, number=number, assignee=worker)
            state["assignee"] = worker
            state["owner"] = state["owner"] or worker
            return True

        def worker() -> User:
            who = state["assignee"]
            assert who is not None
            return who

        def say(kind_: str, body: str, status: str | None = None) -> None:
            who = worker()
            with _clock_at(t):
                ticket_add_message(actor=who, number=number, kind=kind_, body=body, status=status)
            self.summary.messages += 1

        # Dispatch
        if state["assignee"] is None and not claim_in(team):
            return
        # First response
        if not step(5, 240):
            return
        say(MessageKind.REPLY, pick("replies"))
        if rng.random() < 0.3:
            if not step(2, 60):
                return
            say(MessageKind.NOTE, pick("notes") or rng.choice(D.GENERIC_NOTES))
        # Rebalancing inside the team
        lead = staff.leads.get(team)
        if lead and rng.random() < 0.08:
            others = [u for u in staff.workers(team) if u != state["assignee"]]
            if not step(10, 240):
                return
            new = rng.choice(others)
            with _clock_at(t):
                ticket_assign(actor=lead, number=number, assignee=new)
            state["assignee"] = new
        # Transfer to the department that can fix it (首问负责: the owner stays)
        target = spec.get("transfer_to")
        transfer_p = 0.45 if target == D.COMPLAINT_TEAM else 0.25
        transferred = False
        if isinstance(target, str) and rng.random() < transfer_p:
            if not step(10, 300):
                return
            direct = rng.random() < 0.3
            to_user = rng.choice(staff.workers(target)) if direct else None
            with _clock_at(t):
                ticket_transfer(
                    actor=worker(), number=number, to_team=staff.teams[target], to_user=to_user,
                    reason=rng.choice(D.TRANSFER_REASONS[target]),
                )
            self.summary.transfers += 1
            transferred = True
            team = target
            state["assignee"] = to_user
            if to_user is None and not claim_in(team):
                return
            if rng.random() < 0.5:
                if not step(10, 300):
                    return
                say(MessageKind.NOTE, pick("notes") or rng.choice(D.GENERIC_NOTES))
        # Escalated priority
        if rng.random() < 0.06 and priority != Priority.URGENT:
            if not step(5, 120):
                return
            with _clock_at(t):
                ticket_change_priority(
                    actor=staff.manager, number=number,
                    priority=Priority.URGENT if priority == Priority.HIGH else Priority.HIGH,
                    reason=rng.choice(D.PRIORITY_REASONS),
                )
        # Ask the customer for something and wait for the answer
        if spec.get("asks") and rng.random() < 0.3:
            if not step(10, 240):
                return
            say(MessageKind.REPLY, pick("asks"), status=TicketStatus.PENDING_CUSTOMER)
            t_answer = self._later(t, 20, 36 * 60)
            if t_answer >= self.cutoff or rng.random() < 0.05:
                return  # still waiting on the customer
            t = t_answer
            with _clock_at(t):
                ticket_customer_reply(token=portal_token(ticket), body=pick("customer_replies") or "好的。")
        # A few stall: the overdue backlog every center has
        if rng.random() < 0.04:
            return
        # Back office done: hand back to the owner for the callback
        if transferred and team != D.FRONT_TEAM and rng.random() < 0.2:
            owner = state["owner"]
            if owner is not None and owner.team_id == front.pk:
                if not step(30, 600):
                    return
                with _clock_at(t):
                    ticket_transfer(
                        actor=worker(), number=number, to_team=front, to_user=owner,
                        reason=rng.choice(D.TRANSFER_REASONS[D.FRONT_TEAM]),
                    )
                self.summary.transfers += 1
                team = D.FRONT_TEAM
                state["assignee"] = owner
        # Resolve
        slow = kind == "repair" or transferred
        if not step(20, 2880 if slow else 600):
            return
        say(MessageKind.REPLY, pick("resolutions"), status=TicketStatus.RESOLVED)
        # Customer comes back within the reopen window
        if rng.random() < 0.07:
            t_back = self._later(t, 120, 4 * 24 * 60)
            if t_back >= self.cutoff:
                return
            t = t_back
            with _clock_at(t):
                ticket_customer_reopen(token=portal_token(ticket), reason=rng.choice(D.REOPEN_REASONS))
            if not step(30, 1440):
                return
            say(MessageKind.REPLY, pick("resolutions"), status=TicketStatus.RESOLVED)
        # Closed by the agent after a confirming call, or by the clock after KEFU_AUTO_CLOSE_DAYS.
        # A complaint closes only after its callback confirmation (kefu/complaints/closure.py): the
        # demo's complaints stay resolved, awaiting the callback (the random draws stay the same).
        if rng.random() < 0.35:
            if not step(60, 2 * 24 * 60) or kind == "complaint":
                return
            with _clock_at(t):
                ticket_change_status(
                    actor=worker(), number=number, status=TicketStatus.CLOSED, comment=rng.choice(D.CLOSE_COMMENTS)
                )
            return
        due = Ticket.objects.filter(number=number).values_list("auto_close_due_at", flat=True).get()
        if due is not None and due + timedelta(seconds=5) < self.cutoff:
            closed_at = due + timedelta(seconds=rng.uniform(0.5, 3))
            if kind != "complaint":
                ticket_auto_close(ticket_id=ticket.pk, due_at=due, now=closed_at)


def demo_load(
    *, tickets: int = 3000, customers: int = 500, days: int = 90, seed: int = SEED, workforce: bool = True
) -> DemoSummary:
    """Load the demo into an empty database, all or nothing (one transaction). `workforce=False` leaves out
    the workforce plans (queues, history, forecasts, schedules, leave)."""
    # History is written as it happened (who took what), so automatic dispatch stays out of it.
    with override_settings(KEFU_AUTO_DISPATCH=False):
        summary = DemoSeeder(tickets=tickets, customers=customers, days=days, seed=seed).run()
    # The history was written with the clock set back; bring every ticket's time limits to today.
    sla_recompute_all()
    # The default sensitive-word triage rule (12315, 消协, 媒体 …) for tickets created from now on.
    rules_install_defaults()
    # Workforce: queues, eight weeks of history, forecasts, published schedules and leave (排班).
    if workforce:
        load_workforce_demo(manager=User.objects.get(username="manager"))
    # Complaint management: warning history, a red warning from a simulated outage, an incident (投诉管理).
    # A small demo has no baseline worth detecting against: the outage needs the full history.
    load_complaints_demo(manager=User.objects.get(username="manager"), outage=tickets >= 500)
    # Quality inspection: scorecards, a drawn and scored month, calibrations, appeals, coaching (质检).
    load_quality_demo(manager=User.objects.get(username="manager"), flagged=tickets >= 500)
    # Live chat: a rated bot chat, one with agent1, one waiting for an agent (在线客服).
    load_chat_demo(agent=User.objects.get(username="agent1"))
    # Email: a local maildir with a few Chinese mails turned into tickets, one failure (邮件渠道).
    load_channels_demo(manager=User.objects.get(username="manager"))
    # Phone: a CTI account and a morning of simulated calls (screen pops, missed-call callbacks) (电话渠道).
    load_cti_demo(manager=User.objects.get(username="manager"), calls=120 if tickets >= 500 else 30)
    # Performance: 13 weeks and the recent months of KPI rollups, the month before last locked (绩效).
    load_performance_demo(manager=User.objects.get(username="manager"))
    # AI triage: a model learnt from the demo's handled tickets, suggestions on the open ones (AI 预判分流).
    # Like the outage, only on a full-size demo (a small one has too little history to learn from).
    if tickets >= 500:
        load_triage_demo()
    # Appointments: a dealership service desk, advisors and bays, a week of bookings (预约).
    desk = list(User.objects.filter(team__name=D.AFTERSALES_TEAM).order_by("username"))
    load_appointments_demo(manager=User.objects.get(username="manager"), desk=desk)
    # Customer care: points rules, rewards and ledgers, greeting templates, today's greetings (客户关怀).
    load_care_demo(manager=User.objects.get(username="manager"), desk=desk)
    # Center operations: two emergency plans, a drill and a real escalation on record (应急预案).
    load_operations_demo(manager=User.objects.get(username="manager"))
    # Service value points: ledgers, redemptions, suggestions, the 服务之星 (积分与服务之星).
    load_points_demo(manager=User.objects.get(username="manager"))
    # Report packs: the weekly (Monday 08:00) and monthly (the 1st) meeting packs, built once (例会报表).
    load_reports_demo(manager=User.objects.get(username="manager"))
    summary.statuses = Counter(dict(Ticket.objects.values_list("status").annotate(n=Count("id")).order_by()))
    return summary


# --- the logins table --------------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def logins_table() -> str:
    """username, role, team, password of the demo users, aligned for a terminal (CJK is two columns)."""
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES).select_related("team")}
    rows = [("username", "role", "team", "password")]
    for username in DEMO_USERNAMES:
        u = users.get(username)
        if u is not None:
            rows.append((u.username, f"{u.role} ({u.display_name})", u.team.name if u.team else "-", D.DEMO_PASSWORD))
    widths = [max(_width(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
