"""The dashboard's import (key ``I``): the gateway's lists read in a background worker.

The walk is the core's (:func:`~kling_tui.importing.harvest.harvest`), what is new the core's
(:func:`~kling_tui.importing.plan.plan_import`); new tasks go through the poller's add path
and merged snapshots through the poller too, so the table changes the one way it always does
(store -> poller -> ``ListChanged`` / ``PollUpdate`` -> batch -> view). While it runs, the
alert line says what page it reads; at the end a toast says "42 new tasks, 3 already watched".
"""

from __future__ import annotations

import logging

from kling_tui.config import ConfigError, GatewayConfig
from kling_tui.gateway.sanitize import clean_text
from kling_tui.importing.apply import harvest_summary, server_of
from kling_tui.importing.harvest import NothingToList, choose_kinds, gateway_to_import, harvest
from kling_tui.importing.plan import Candidate, plan_import

log = logging.getLogger(__name__)


class ImportMixin:
    """KlingApp's import concern: ``action_import_tasks`` and its worker."""

    _import_progress: str | None = None
    """What the running import reads now (shown on the alert line), None when none runs."""

    def action_import_tasks(self) -> None:
        if self._import_progress is not None:
            self.notify("An import is already running.", markup=False, timeout=3)
            return
        try:
            gateway = gateway_to_import(self.config)
            kinds = choose_kinds(gateway)
        except (ConfigError, NothingToList) as exc:
            self.notify(
                f"Cannot import: {clean_text(str(exc), limit=400)}",
                severity="warning",
                markup=False,
                timeout=10,
            )
            return
        if not hasattr(self.poller.fetcher, "fetch_page"):
            self.notify("Cannot import: this fetcher cannot list tasks.", markup=False)
            return
        self._import_progress = f"importing from {gateway.name}..."
        self._refresh_chrome()
        self.run_worker(
            self._run_import(gateway, kinds),
            name="import",
            group="import",
            exit_on_error=False,
        )

    def _import_step(self, text: str) -> None:
        self._import_progress = clean_text(text, limit=200)
        self._refresh_chrome()

    async def _run_import(self, gateway: GatewayConfig, kinds: list[str]) -> None:
        try:
            harvested = await harvest(
                self.poller.fetcher,  # type: ignore[arg-type]
                gateway,
                kinds=kinds,
                task_log=gateway.task_log,
                progress=self._import_step,
            )
            found = [
                Candidate(s.task_id, s.kind, gateway.name, snapshot=s) for s in harvested.snapshots
            ]
            plan = plan_import(
                self.poller.entries, found, now=self._now(), server_of=server_of(self.config)
            )
            result = self.poller.add(plan.new) if plan.new else None
            merged = self.poller.merge_snapshots((e.key, s) for e, s in plan.merges)
            added = len(result.added) if result is not None else 0
            summary = harvest_summary(harvested, plan, added, merged)
        except Exception as exc:  # reported, never the end of the dashboard
            log.exception("import failed")
            self._import_progress = None
            self._refresh_chrome()
            self.notify(
                f"Import failed: {clean_text(f'{type(exc).__name__}: {exc}', limit=300)}",
                severity="error",
                markup=False,
            )
            return
        self._import_progress = None
        self._apply_now()  # the new rows arrive through the poller's ListChanged
        self._refresh_chrome()
        message = summary.line()
        said = summary.problems + summary.failures  # skipped items, then failed pages
        if said:
            message += "\n" + "\n".join(clean_text(f, limit=200) for f in said[:3])
        self.notify(
            message,
            severity="warning" if said else "information",
            markup=False,
            timeout=10,
        )
