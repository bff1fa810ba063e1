"""What a contract run found: per operation, the cases sent and the failures (deduplicated), and the run's totals.

``Report.render()`` is the text ``mockrouter contract`` prints: totals, a line per operation, then each failing
operation's failures with the first failing example as a curl command; ``Report.ok`` is the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Failure", "OperationReport", "Report"]


@dataclass
class Failure:
    operation: str
    check: str
    title: str
    message: str
    curl: str
    phase: str = ""
    response: str = ""  # status and the start of the failing response's body


@dataclass
class OperationReport:
    label: str
    cases: int = 0
    failures: list[Failure] = field(default_factory=list)


@dataclass
class Report:
    target: str
    dry_run: bool = False
    max_requests: int = 0
    requests_sent: int = 0
    budget_exhausted: bool = False
    operations: dict[str, OperationReport] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)
    stop_reason: str = ""
    elapsed_s: float = 0.0
    bodies: dict[str, list[Any]] = field(default_factory=dict)  # positive request bodies, by operation
    modes: dict[str, int] = field(default_factory=dict)  # hooked requests by generation mode
    generations_followed: int = 0
    streams_checked: int = 0
    events_checked: int = 0
    #: checks left out because they cannot apply to this server, with the reason
    not_applicable: dict[str, str] = field(default_factory=dict)

    def operation(self, label: str) -> OperationReport:
        return self.operations.setdefault(label, OperationReport(label))

    @property
    def failures(self) -> list[Failure]:
        return [f for op in self.operations.values() for f in op.failures]

    @property
    def ok(self) -> bool:
        return not self.failures and not self.errors

    def render(self) -> str:
        lines = [f"mockrouter contract run against {self.target}"]
        if self.dry_run:
            lines.append(
                f"DRY RUN: nothing was sent. A real run sends at most {self.max_requests} requests; "
                f"{len(self.planned)} sample requests:"
            )
            return "\n".join(lines + [f"  {p}" for p in self.planned])
        budget = " (budget exhausted: run stopped early)" if self.budget_exhausted else ""
        modes = ", ".join(f"{n} {mode}" for mode, n in sorted(self.modes.items())) or "-"
        lines += [
            f"{self.requests_sent} requests (max {self.max_requests}){budget}, {self.elapsed_s:.1f}s, "
            f"stop: {self.stop_reason or '?'}",
            f"generated: {modes}; SSE streams checked: {self.streams_checked} ({self.events_checked} events); "
            f"GetGeneration links followed: {self.generations_followed}",
        ]
        lines += [f"not applicable: {check} ({reason})" for check, reason in sorted(self.not_applicable.items())]
        width = max((len(label) for label in self.operations), default=10)
        for label, op in sorted(self.operations.items()):
            state = f"{len(op.failures)} FAILED" if op.failures else "ok"
            lines.append(f"  {label:<{width}}  {op.cases:5d} cases  {state}")
        for label, op in sorted(self.operations.items()):
            if op.failures:
                lines += ["", f"== {label}"]
                for f in op.failures:
                    lines.append(f"  - [{f.check}] {f.title} ({f.phase})")
                    lines += [f"      {text}" for text in f.message.strip().splitlines()[:12]]
                    lines += [f"      response: {f.response[:300]}"] if f.response else []
                lines += ["    first failing example:", *(f"      {t}" for t in op.failures[0].curl.splitlines())]
        lines += [f"ERROR {error}" for error in self.errors]
        verdict = "OK" if self.ok else f"FAILED: {len(self.failures)} failures, {len(self.errors)} errors"
        return "\n".join([*lines, "", verdict])
