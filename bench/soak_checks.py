"""What a soak run found, the checks it must pass, and its rows of the summary table.

`problems(report)` lists every failed check in words (empty: the run passed). The checks:
no 500 and no status but 200 and 503 (every candidate failed); every request sent got an answer
(no connection failure, reset or client timeout), well formed, with a request id; streams end
with [DONE] or, after a vendor cut, with an in-band error event; request ids unique; usage
records equal to the requests sent, with unique ids covering every id a client saw; the same
worker pids from start to end; each worker's RSS flat in the second half of the run (at most
the config's `rss_growth_limit_mib`, RSS_GROWTH_LIMIT_MIB by default, more at the end than
half-way: imports, pools and caches fill during a worker's first thousand or two requests, a leak
keeps growing; the warm-up sample, a tenth in, is reported too); no "database is locked"
and no traceback or ERROR line in the gateway's log; every fault kind injected at least once.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bench.soak_load import Tally
from tests.fakes.vendors import FAULT_KINDS

ACCEPTED_STATUSES = frozenset({200, 503})
RSS_GROWTH_LIMIT_MIB = 8.0
LOCKED = "database is locked"


@dataclass
class SoakReport:
    label: str
    config: dict
    tally: Tally | None = None
    elapsed: float = 0.0
    records_before_stop: int = 0
    records: int = 0
    distinct_record_ids: int = 0
    ids_without_record: int = 0
    record_statuses: Counter = field(default_factory=Counter)
    rss: dict[str, dict[int, float]] = field(default_factory=dict)
    workers_at_start: list[int] = field(default_factory=list)
    workers_at_end: list[int] = field(default_factory=list)
    requests_by_worker: dict[int, float] = field(default_factory=dict)
    locked_lines: int = 0
    tracebacks: int = 0
    error_lines: int = 0
    error_examples: list[str] = field(default_factory=list)
    vendor: dict = field(default_factory=dict)
    setup_problem: str = ""
    workdir: str = ""

    def collect_records(self, store) -> None:
        ids = store.request_ids()
        self.records = len(ids)
        self.distinct_record_ids = len(set(ids))
        self.ids_without_record = len(set(self.tally.request_ids) - set(ids))
        self.record_statuses = store.statuses()

    def collect_log(self, text: str) -> None:
        lines = text.splitlines()
        self.locked_lines = sum(LOCKED in line for line in lines)
        self.tracebacks = sum(line.startswith("Traceback") for line in lines)
        errors = [line for line in lines if " ERROR " in line or "[ERROR]" in line]
        self.error_lines = len(errors)
        self.error_examples = list(dict.fromkeys(line[:400] for line in errors))[:5]

    def rss_growth(self, since: str = "middle") -> dict[int, float]:
        before, end = self.rss.get(since, {}), self.rss.get("end", {})
        return {pid: end[pid] - before[pid] for pid in before if pid in end}

    def to_json(self) -> dict:
        # dataclasses.asdict rebuilds a Counter from (key, value) pairs, counting the pairs: go by hand.
        data = {name: dict(value) if isinstance(value, Counter) else value for name, value in vars(self).items()}
        if self.tally is not None:
            tally = {name: dict(value) if isinstance(value, Counter) else value for name, value in vars(self.tally).items()}
            data["tally"] = {**tally, "request_ids": len(self.tally.request_ids), "latencies": None,
                             "sent": self.tally.sent}
        data["problems"] = problems(self)
        return data


def problems(report: SoakReport) -> list[str]:
    if report.setup_problem:
        return [f"the run did not complete: {report.setup_problem}"]
    tally = report.tally
    found = []
    if tally.statuses.get(500):
        found.append(f"{tally.statuses[500]} answers were 500")
    unexpected = {status: n for status, n in tally.statuses.items() if status not in ACCEPTED_STATUSES | {500}}
    if unexpected:
        found.append(f"unexpected statuses: {unexpected}")
    if tally.not_sent or tally.transport_errors:
        found.append(f"{tally.not_sent} requests could not connect; transport errors: {dict(tally.transport_errors)}")
    if tally.bad_bodies or tally.streams_truncated or tally.answers_without_id:
        found.append(f"malformed answers: {tally.bad_bodies} bodies, {tally.streams_truncated} streams without "
                     f"[DONE] or an error event, {tally.answers_without_id} without x-gateway-request-id")
    if len(set(tally.request_ids)) != len(tally.request_ids):
        found.append(f"{len(tally.request_ids) - len(set(tally.request_ids))} request ids were given out twice")
    if not tally.streams:
        found.append("no stream among the requests")
    if report.records != tally.sent:
        found.append(f"{report.records} usage records for {tally.sent} requests sent")
    if report.distinct_record_ids != report.records or report.ids_without_record:
        found.append(f"{report.records - report.distinct_record_ids} duplicate record ids; "
                     f"{report.ids_without_record} answered ids without a record")
    if report.workers_at_start != report.workers_at_end:
        found.append(f"workers changed during the run: {report.workers_at_start} -> {report.workers_at_end}")
    if not report.rss_growth():
        found.append(f"worker RSS was not sampled: {report.rss}")
    limit = report.config["rss_growth_limit_mib"]
    for pid, growth in report.rss_growth().items():
        if growth > limit:
            found.append(f"worker {pid} grew by {growth:.1f} MiB in the second half (allowed {limit})")
    if report.locked_lines:
        found.append(f'{report.locked_lines} "{LOCKED}" lines in the gateway log')
    if report.tracebacks or report.error_lines:
        found.append(f"{report.tracebacks} tracebacks and {report.error_lines} ERROR lines in the gateway log, "
                     f"e.g. {report.error_examples}")
    injected = report.vendor.get("outcomes", {})
    if report.config["fault_rate"] > 0 and any(not injected.get(kind) for kind in FAULT_KINDS):
        found.append(f"not every fault kind was injected: {injected}")
    return found


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _rss(report: SoakReport, label: str) -> str:
    values = report.rss.get(label, {})
    return " / ".join(f"{mib:.0f}" for _, mib in sorted(values.items())) or "n/a"


def summary_rows(reports: list[SoakReport]) -> list[list[str]]:
    def row(name, value):
        return [name, *(value(r) if not r.setup_problem else "n/a" for r in reports)]

    def faults(r):
        outcomes = r.vendor.get("outcomes", {})
        faulty = sum(outcomes.get(kind, 0) for kind in FAULT_KINDS)
        return f"{faulty:,} of {r.vendor.get('requests', 0):,} ({faulty / max(1, r.vendor.get('requests', 0)):.1%})"

    return [
        row("clients × seconds", lambda r: f"{r.config['clients']} × {r.config['duration']:.0f}"),
        row("requests sent", lambda r: f"{r.tally.sent:,} ({r.tally.sent / max(r.elapsed, 1e-9):.0f}/s)"),
        row("answers by status", lambda r: ", ".join(f"{s}: {n:,}" for s, n in sorted(r.tally.statuses.items()))),
        row("500s", lambda r: str(r.tally.statuses.get(500, 0))),
        row("latency p50 / p99, s (not checked)", lambda r: f"{_quantile(r.tally.latencies, 0.5):.2f} / "
                                                           f"{_quantile(r.tally.latencies, 0.99):.2f}"),
        row("streams: [DONE] / cut in-band / truncated",
            lambda r: f"{r.tally.streams_completed:,} / {r.tally.streams_cut} / {r.tally.streams_truncated}"),
        row("cache hit / miss / bypass", lambda r: " / ".join(f"{r.tally.cache.get(k, 0):,}" for k in ("hit", "miss", "bypass"))),
        row("answered after a fallback", lambda r: f"{r.tally.fell_back:,}"),
        row("transport errors", lambda r: str(sum(r.tally.transport_errors.values()) + r.tally.not_sent)),
        row("vendor calls failed on purpose", faults),
        row("faults: 5xx, 429, slow, reset, cut",
            lambda r: ", ".join(str(r.vendor.get("outcomes", {}).get(k, 0)) for k in FAULT_KINDS)),
        row("usage records (before stop / after)", lambda r: f"{r.records_before_stop:,} / {r.records:,}"),
        row("records == requests sent", lambda r: "yes" if r.records == r.tally.sent else "NO"),
        row("unique request ids (answers / records)",
            lambda r: f"{len(set(r.tally.request_ids)):,} / {r.distinct_record_ids:,}"),
        row("record statuses", lambda r: ", ".join(f"{s}: {n:,}" for s, n in sorted(r.record_statuses.items()))),
        row("worker RSS MiB, warm (10%)", lambda r: _rss(r, "start")),
        row("worker RSS MiB, middle", lambda r: _rss(r, "middle")),
        row("worker RSS MiB, end", lambda r: _rss(r, "end")),
        row("largest RSS growth, warm→end / middle→end",
            lambda r: f"{max(r.rss_growth('start').values(), default=0):+.1f} / {max(r.rss_growth().values(), default=0):+.1f}"),
        row("requests per worker", lambda r: " / ".join(f"{n:,.0f}" for _, n in sorted(r.requests_by_worker.items()))),
        row("same workers throughout", lambda r: "yes" if r.workers_at_start == r.workers_at_end else "NO"),
        row('"database is locked" / tracebacks / ERROR lines',
            lambda r: f"{r.locked_lines} / {r.tracebacks} / {r.error_lines}"),
        ["checks", *("passed" if not problems(r) else f"FAILED ({len(problems(r))})" for r in reports)],
    ]
