"""Messages the poller bridge posts into the app.

The poller calls its subscribers synchronously, once per event. Handling each event as it
comes would repaint the table once per task; instead the bridge collects every event that
arrives in one loop tick (and any that arrive while the UI is still busy) into one
``PollerBatch``, which the app applies inside a single ``batch_update()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message

from kling_tui.models import TaskKey, WatchEntry
from kling_tui.polling.poller import ListChanged, Notice, PollerEvent, PollUpdate, StateChanged


@dataclass
class PollerBatch(Message):
    """Everything the poller reported since the last batch, coalesced."""

    updates: dict[TaskKey, PollUpdate] = field(default_factory=dict)
    """Latest update per task: a task polled twice in a tick is drawn once."""
    finished: list[PollUpdate] = field(default_factory=list)
    """Updates that saw a task finish (toast + bell), in order."""
    added: dict[TaskKey, WatchEntry] = field(default_factory=dict)
    removed: set[TaskKey] = field(default_factory=set)
    state: StateChanged | None = None
    notices: list[Notice] = field(default_factory=list)
    """Messages about no single task (e.g. a watch list that could not be saved)."""

    def add_event(self, event: PollerEvent) -> None:
        """Fold one poller event in, in the order they happened (later facts win)."""
        if isinstance(event, PollUpdate):
            key = event.entry.key
            self.updates[key] = event
            if event.finished_now:
                self.finished.append(event)
        elif isinstance(event, StateChanged):
            self.state = event
        elif isinstance(event, Notice):
            if event not in self.notices:
                self.notices.append(event)
        elif isinstance(event, ListChanged):
            for entry in event.added:
                self.added[entry.key] = entry
                self.removed.discard(entry.key)
            for key in event.removed:
                self.removed.add(key)
                self.added.pop(key, None)
                self.updates.pop(key, None)
                self.finished = [u for u in self.finished if u.entry.key != key]

    @property
    def empty(self) -> bool:
        return not (
            self.updates
            or self.finished
            or self.added
            or self.removed
            or self.state
            or self.notices
        )


@dataclass
class PollerCrashed(Message):
    """``Poller.run`` raised; the app shows it and restarts the loop after ``retry_in`` s."""

    error: str
    retry_in: float
