"""Check outcomes in plain words: one line per offending cell, no patient identifiers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from orchestration.lib.quality.rules import RuleResult


@dataclass
class CheckReport:
    """What one asset check found over the run's months."""

    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rules_run: int = 0

    @property
    def passed(self) -> bool:
        return not self.failures

    def add_rules(self, month: date, results: Iterable[RuleResult]) -> None:
        for result in results:
            self.rules_run += 1
            target = self.notes if result.rule.severity == "note" else self.failures
            if result.error:
                self.failures.append(
                    f"{month:%Y-%m} {result.rule.name}: could not be checked "
                    f"({result.error}); expected {result.rule.expectation}"
                )
                continue
            for offender in result.offenders:
                row = f" row {offender.row}" if offender.row is not None else ""
                target.append(
                    f"{month:%Y-%m} {offender.file}{row}, column {offender.column}, "
                    f"value {_shown(offender.value)}: expected {result.rule.expectation}"
                )

    def text(self, limit: int | None = None) -> str:
        lines = self.failures if limit is None else self.failures[:limit]
        more = len(self.failures) - len(lines)
        return "\n".join(lines + ([f"… and {more} more"] if more > 0 else []))


def _shown(value: str | None) -> str:
    if value is None:
        return "(blank)"
    return repr(value) if value != "(withheld)" else value
