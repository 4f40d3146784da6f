"""EventBridge scheduled rules fire (moto 5.2.1 stores `ScheduleExpression` and never fires it): a thread of the
launcher sends each ENABLED rule's "Scheduled Event" to its targets, through the same delivery as PutEvents.

Timing is AWS's (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html): UTC,
a precision of one minute; `rate(N unit)` fires every N units, the first time N units after the rule is created
(not at once); `cron(min hour day-of-month month day-of-week year)` fires at each minute that matches. For tests
that cannot wait minutes, `LOCAL_CLOUD_SCHEDULE_SPEEDUP=<factor>` in the daemon's environment runs every rule's
schedule clock that many times faster from the moment the rule is created (60: `rate(1 minute)` fires every
second, a cron minute passes every second); the default, 1, is AWS's timing. Documented in docs/local-cloud.md."""

import calendar
import datetime
import os
import re
import sys
import threading
import time
import uuid

SPEEDUP_ENV = "LOCAL_CLOUD_SCHEDULE_SPEEDUP"
RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
CRON = re.compile(r"^cron\((.*)\)$")
UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}
MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
# (low, high, names) of the six cron fields.
FIELDS = ((0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, MONTHS), (1, 7, DAYS), (1970, 2199, {}))


def speedup() -> float:
    try:
        return max(1.0, float(os.environ.get(SPEEDUP_ENV, "1")))
    except ValueError:
        return 1.0


def rate_seconds(expression: str) -> int | None:
    """`rate(5 minutes)` -> 300; None for anything else. AWS wants the singular unit for 1 and the plural above,
    which moto's PutRule already checks."""
    m = RATE.match(expression.strip())
    return int(m.group(1)) * UNIT_S[m.group(2).rstrip("s")] if m else None


def field_matches(spec: str, value: int, index: int, when: datetime.datetime) -> bool:
    """Whether one cron field (`*`, `?`, `5`, `1-5`, `0/15`, `MON-FRI`, `L`, `6#3`, lists of them) matches."""
    low, high, names = FIELDS[index]
    for part in spec.upper().split(","):
        if part in ("*", "?"):
            return True
        if part == "L" and index == 2:  # the last day of the month
            if when.day == calendar.monthrange(when.year, when.month)[1]:
                return True
            continue
        if "#" in part and index == 4:  # the nth such weekday of the month
            day, nth = part.split("#")
            if value == int(names.get(day, day)) and (when.day - 1) // 7 + 1 == int(nth):
                return True
            continue
        step = 1
        if "/" in part:
            part, step_text = part.split("/")
            step = int(step_text)
            part = part if part not in ("*", "") else f"{low}-{high}"
            if "-" not in part:
                part = f"{part}-{high}"
        if "-" in part:
            a, b = part.split("-")
            first, last = int(names.get(a, a)), int(names.get(b, b))
        else:
            first = last = int(names.get(part, part))
        if first <= value <= last and (value - first) % step == 0:
            return True
    return False


def cron_matches(expression: str, when: datetime.datetime) -> bool:
    """Whether the cron expression fires at the minute `when` (UTC)."""
    fields = CRON.match(expression.strip()).group(1).split()
    aws_weekday = (when.weekday() + 1) % 7 + 1  # Python: Monday 0; AWS: Sunday 1
    values = (when.minute, when.hour, when.day, when.month, aws_weekday, when.year)
    return all(field_matches(spec, value, i, when) for i, (spec, value) in enumerate(zip(fields, values)))


def scheduled_event(rule, fired_at: float) -> dict:
    """The event a scheduled rule sends (`time` in epoch seconds, as moto keeps an event's time)."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": rule.account_id, "time": int(fired_at), "region": rule.region_name,
            "resources": [rule.arn], "detail": {}}


class Schedule:
    """One rule's clock: the virtual time runs `factor` times faster than the real one from the rule's creation."""

    def __init__(self, rule, created: float, factor: float):
        self.rule, self.created, self.factor = rule, created, factor
        self.fired = created  # the virtual time up to which the schedule has fired

    def virtual(self, now: float) -> float:
        return self.created + (now - self.created) * self.factor

    def due(self, now: float) -> list[float]:
        """The virtual times the rule fires at in (self.fired, virtual(now)], oldest first."""
        until = self.virtual(now)
        expression = self.rule.scheduled_expression or ""
        times = []
        if (period := rate_seconds(expression)) is not None:
            t = self.fired + period - (self.fired - self.created) % period
            while t <= until:
                times.append(t)
                t += period
        elif CRON.match(expression.strip()):
            minute = (int(self.fired) // 60 + 1) * 60
            while minute <= until:
                when = datetime.datetime.fromtimestamp(minute, datetime.timezone.utc)
                if cron_matches(expression, when):
                    times.append(minute)
                minute += 60
        self.fired = max(self.fired, until)
        return times


def scheduled_rules():
    """Every rule with a schedule expression, of every account and region moto has a backend for."""
    from moto.events.models import events_backends

    for _account, regions in list(events_backends.items()):
        for _region, backend in list(regions.items()):
            for bus in list(backend.event_buses.values()):
                for rule in list(bus.rules.values()):
                    if getattr(rule, "scheduled_expression", None):
                        yield rule


def tick(schedules: dict, now: float, fire) -> None:
    """One pass: new rules get a clock, gone or replaced ones lose theirs, due ones `fire(rule, event)`."""
    seen = set()
    for rule in scheduled_rules():
        seen.add(rule.arn)
        schedule = schedules.get(rule.arn)
        if schedule is None or schedule.rule is not rule:  # a new rule, or PutRule replaced it
            schedule = schedules[rule.arn] = Schedule(rule, now, speedup())
        for fired_at in schedule.due(now):
            if rule.state == "ENABLED":
                fire(rule, scheduled_event(rule, fired_at))
    for arn in set(schedules) - seen:
        del schedules[arn]


def start(fire, interval_s: float = 0.25) -> threading.Thread:
    """The scheduler thread: `fire(rule, event)` for each due firing, never raising out of the loop."""

    def run():
        schedules = {}
        while True:
            try:
                tick(schedules, time.time(), fire)
            except Exception as e:  # noqa: BLE001 - a rule changing under us; the next tick sees it anew
                print(f"EventBridge scheduler: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
            time.sleep(interval_s)

    thread = threading.Thread(target=run, name="eventbridge-scheduler", daemon=True)
    thread.start()
    return thread
