"""CloudWatch Logs: each log stream keeps its newest `EVENTS_PER_STREAM` events, so a long run of requests does not
grow moto without end.

Every invocation the local cloud runs puts the function's START/END/REPORT lines and its output into the
function's log group (one stream per instance, as Lambda does); moto 5.2.1 keeps every event forever (about
0.5 KB each, and about 4 events per request: 100,000 requests would keep some 200 MB). AWS keeps them until the
group's retention says otherwise; here a stream keeps its newest 10,000 events (one GetLogEvents page) and drops
the oldest, as if they had expired. What reads logs here (`verify`'s `log_contains`, `cargo xtask local logs`
users) looks at recent lines. `storedBytes` still counts everything ever put, as moto counted it."""

from moto.logs.models import LogStream

from local_moto.common import Context

# Events a log stream keeps (the oldest go first); documented in docs/local-cloud.md.
EVENTS_PER_STREAM = 10_000


def patch(ctx: Context) -> None:
    original_put = LogStream.put_log_events

    def put_log_events(self, log_events):
        token = original_put(self, log_events)
        extra = len(self.events) - EVENTS_PER_STREAM
        if extra > 0:
            del self.events[:extra]
        return token

    LogStream.put_log_events = put_log_events
