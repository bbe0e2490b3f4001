"""The polling engine: scheduler + fetcher + watch list, publishing updates to subscribers.

CONTRACT (implementation in progress; the UI codes against these names):

    poller = Poller(store, fetcher, policy, clock=time.monotonic)
    unsubscribe = poller.subscribe(callback)   # callback(event: PollerEvent) -> None, called
                                               # on the event loop that runs poller.run()
    await poller.run()          # long-lived loop until poller.stop(); never raises on
                                # network/server errors (they become PollUpdate.error)
    poller.stop()
    await poller.poll_once()    # poll every unfinished task once (headless `watch --once`)
    poller.refresh(key | None)  # poll now, bypassing the schedule (None = all, even finished)
    poller.pause(); poller.resume(); poller.paused -> bool
    poller.state -> PollerState
    poller.entries -> list[WatchEntry]        # current view, in watch-list order
    poller.add(entries) -> AddResult          # persists via the store, schedules them
    poller.remove(keys) -> list[WatchEntry]   # persists; returns the removed (for undo)
    await poller.flush()                      # write pending results to the store now

Events (frozen dataclasses):
    PollUpdate(entry: WatchEntry, previous_status: Status | None, stale: bool)
        one task's new state; entry.snapshot is the last GOOD snapshot, entry.last_error
        is set when the last fetch failed (then stale=True).
    StateChanged(state: PollerState, detail: str)
    ListChanged(added: tuple[WatchEntry, ...], removed: tuple[TaskKey, ...])
        the watch list changed (this process or another one editing the file).
"""
