"""What the user does to tasks: add, set up a gateway, remove, undo, open, copy, refresh."""

from __future__ import annotations

import contextlib
import webbrowser
from collections.abc import Callable

from rich.style import Style
from rich.text import Text

from kling_tui.config import AppConfig, SetupResult
from kling_tui.gateway.sanitize import clean_text
from kling_tui.gateway.urls import check_open_url
from kling_tui.kinds import Media, kind_spec
from kling_tui.models import Image, Video, WatchEntry
from kling_tui.store.watchlist import new_entries
from kling_tui.ui import browser
from kling_tui.ui.chrome import BESIDE_MIN_WIDTH
from kling_tui.ui.format import clip
from kling_tui.ui.reasons import why_no_video
from kling_tui.ui.screens.add import AddRequest, AddTasksScreen
from kling_tui.ui.screens.confirm import ConfirmScreen
from kling_tui.ui.screens.copy import CopyTextScreen
from kling_tui.ui.screens.setup import GatewaySetupScreen
from kling_tui.ui.screens.videos import OpenFailedScreen, VideoChooserScreen

BrowserOpener = Callable[[str], bool]
"""Opens a URL in a web browser; False when none could be started."""


def default_opener(url: str) -> bool:
    """The real browser: ``browser.open_in_browser``."""
    # Looked up at call time so tests can patch ``kling_tui.ui.browser.open_in_browser``.
    return browser.open_in_browser(url)


def entry_name(entry: WatchEntry, limit: int = 60) -> str:
    """How a task is named in toasts and questions: its label, else its id."""
    return clip(entry.label or entry.task_id, limit)


def result_noun(entry: WatchEntry) -> str:
    """What the task makes, for toasts: ``image``, ``audio`` or ``video``."""
    spec = kind_spec(entry.kind)
    if spec is not None and spec.media is not Media.VIDEO:
        return spec.media.value
    return "video"


class TaskActionsMixin:
    """KlingApp's task-action concern: the actions on the selected task (or on the list)
    and their dialogs; each calls the poller, then applies its batch (``_apply_now``)."""

    def _selected(self) -> WatchEntry | None:
        entry = self.table.current_entry()
        if entry is None:
            self.notify("No task selected.", severity="warning", markup=False)
        return entry

    def _target_entries(self) -> list[WatchEntry]:
        """The tasks an action acts on: the marked ones when any are marked, else the one
        under the cursor (none: a toast says so, and the list is empty).

        Marked tasks come in table order, then the marked ones the filter hides (they stay
        marked, and the header counts them) in watch-list order. ``d``, ``r``, ``c``, ``y``
        and ``D`` all ask here, so they can never disagree about which rows they mean.
        (Not ``_action_targets``: Textual's ``App`` keeps a set of that name.)
        """
        table = self.table
        marked = table.marked
        if not marked:
            entry = self._selected()
            return [entry] if entry is not None else []
        keys = [k for k in table.matching_keys() if k in marked]
        seen = set(keys)
        keys += [str(e.key) for e in table.all_entries() if str(e.key) in marked - seen]
        return [e for e in (table.entry(k) for k in keys) if e is not None]

    def _videos_with_url(self, entry: WatchEntry) -> list[Video | Image]:
        """The results with a URL, videos then images (``TaskSnapshot.result_urls``'s order)."""
        snap = entry.snapshot
        if snap is None:
            return []
        return [r for r in (*snap.videos, *snap.images) if r.url]

    def _with_video(
        self, entry: WatchEntry, purpose: str, then: Callable[[Video | Image], None]
    ) -> None:
        videos = self._videos_with_url(entry)
        if not videos:
            self.notify(
                f"No {result_noun(entry)} URL for {entry_name(entry)}: {why_no_video(entry)}.",
                severity="warning",
                markup=False,
            )
            return
        if len(videos) == 1:
            then(videos[0])
            return

        def chosen(index: int | None) -> None:
            if index is not None:
                then(videos[index])

        self.push_screen(VideoChooserScreen(videos, purpose=purpose), chosen)

    def _remembered_gateways(self) -> dict[str, WatchEntry]:
        """Gateways known only from tasks added with ``--base-url``: name -> one such task.

        Without a config file, ``kling-tui add --base-url URL`` is how a list starts; the
        dialog must offer that gateway too, and new tasks must live where it lives.
        """
        configured = set(self.gateway_names)
        found: dict[str, WatchEntry] = {}
        for entry in self.poller.entries:
            if entry.base_url and entry.gateway not in configured:
                found.setdefault(entry.gateway, entry)
        return found

    def action_add_tasks(self) -> None:
        remembered = self._remembered_gateways()
        names = self.gateway_names + [g for g in remembered if g not in self.gateway_names]
        default = self.config.default_gateway
        if default not in names and names:
            default = names[0]
        watched: dict[str, list[tuple[str, str]]] = {}
        for entry in self.poller.entries:
            for task_id in entry.known_ids:  # its Kling, relay and external ids too
                watched.setdefault(task_id, []).append((entry.kind, entry.gateway))
        screen = AddTasksScreen(
            names,
            default,
            watched=watched,
            config_file=self.config_file,
            on_setup=self.action_setup_gateway,
        )
        self.push_screen(screen, self._add_requested)

    def action_setup_gateway(self) -> None:
        """The one-screen gateway setup; the new gateway is usable as soon as it is saved."""
        self.push_screen(GatewaySetupScreen(self.config_file), self._gateway_added)

    def _gateway_added(self, result: SetupResult | None) -> None:
        """Use a gateway the setup just wrote, without a restart.

        The fetcher reads gateways from the config object at every fetch, so adding it to
        that object (and to the fetcher's, should it hold another) is all a hot reload takes.
        """
        if result is None:
            return
        gateway = result.gateway
        configs = [self.config]
        other = getattr(self.poller.fetcher, "config", None)
        if isinstance(other, AppConfig) and other is not self.config:
            configs.append(other)
        for config in configs:
            had_default = config.default_gateway in config.gateways
            config.gateways[gateway.name] = gateway
            if not had_default:
                config.default_gateway = gateway.name
        self.detail.set_origins(self._origins())
        several = len(set(self.gateway_names) | set(self.view.gateway_counts)) > 1
        if several != self.table.show_gateway:
            width = self.size.width
            beside = width >= BESIDE_MIN_WIDTH
            self.table.set_layout_for_width(
                int(width * 0.65) if beside else width, show_gateway=several
            )
        self._refresh_chrome()
        what = "written to" if result.created else "added to"
        note = ""
        if gateway.credential is None:
            note = (
                f" No credential yet: set {gateway.credential_hint} and restart kling-tui"
                " (or polls report 'no token')."
            )
        dialog = self.screen if isinstance(self.screen, AddTasksScreen) else None
        then = "" if dialog is not None else " Press a to add task ids."
        self.notify(
            f"Gateway {clean_text(gateway.name, limit=64)} {what} "
            f"{clean_text(str(result.path), limit=200)}.{then}{note}",
            markup=False,
            timeout=12,
        )
        if dialog is not None:
            dialog.set_gateways(self.gateway_names, self.config.default_gateway)

    def _add_requested(self, request: AddRequest | None) -> None:
        if request is None:
            return
        now = self._now()
        where = self._remembered_gateways().get(request.gateway)
        entries = new_entries(
            request.ids,
            kind=request.kind,
            gateway=request.gateway,
            now=now,
            label=request.label,
            base_url=where.base_url if where else None,
            path_prefix=where.path_prefix if where else None,
            external=request.external,
        )
        try:
            result = self.poller.add(entries)
        except Exception as exc:
            self.notify(
                f"Could not add: {clean_text(str(exc), limit=300)}", severity="error", markup=False
            )
            return
        added = list(getattr(result, "added", []))
        duplicates = list(getattr(result, "duplicates", []))
        if added:
            self._apply_now()  # the rows arrive through the poller's ListChanged
            self.table.select_key(str(added[0].key))
        parts = []
        if added:
            parts.append(f"Watching {len(added)} new task{'s' if len(added) != 1 else ''}")
        if duplicates:
            parts.append(f"{len(duplicates)} already watched")
            refusals = result.refusals() if hasattr(result, "refusals") else []
            # Which watched task each is (its Kling id, its external id...), a few of them.
            parts += [clean_text(r, limit=200) for r in refusals[:3]]
            if len(refusals) > 3:
                parts.append(f"and {len(refusals) - 3} more")
        self.notify(". ".join(parts) or "Nothing added.", markup=False)

    def action_remove_task(self) -> None:
        targets = self._target_entries()
        if not targets:
            return
        if self.table.marked:
            self._ask_remove_many(targets)
            return
        entry = targets[0]
        question = Text("Stop watching ")
        question.append(entry_name(entry, 80), style=Style(bold=True))
        question.append(f" ({clip(entry.kind, 40)} on {clip(entry.gateway, 40)})?")
        question.append("\nu undoes it.")

        def answered(yes: bool | None) -> None:
            if yes:
                self._remove(entry)

        self.push_screen(ConfirmScreen(question, yes="Remove"), answered)

    def _ask_remove_many(self, entries: list[WatchEntry]) -> None:
        """One question for all the marked tasks, naming a few and the hidden ones."""
        count = len(entries)
        question = Text(f"Remove {count} task{'s' if count != 1 else ''}?", Style(bold=True))
        names = ", ".join(entry_name(e, 30) for e in entries[:4])
        question.append(f"\n{names}" + (f" and {count - 4} more" if count > 4 else ""))
        shown = set(self.table.matching_keys())
        hidden = count - sum(1 for e in entries if str(e.key) in shown)
        if hidden > 0:
            question.append(f"\n{hidden} of them not shown by the filter.")
        question.append("\nu undoes the whole removal.")

        def answered(yes: bool | None) -> None:
            if yes:
                self._remove_many(entries)

        self.push_screen(ConfirmScreen(question, yes=f"Remove {count}"), answered)

    def _remove_many(self, entries: list[WatchEntry]) -> None:
        """One store write for them all (one task or a bulk); one undo step puts them all
        back."""
        try:
            removed = self.poller.remove([e.key for e in entries])
        except Exception as exc:
            self.notify(
                f"Could not remove: {clean_text(str(exc), limit=300)}",
                severity="error",
                markup=False,
            )
            return
        if removed:
            self._undo.append(list(removed))
            del self._undo[:-20]
        self._apply_now()  # the rows leave through the poller's ListChanged (marks too)
        self._refresh_chrome()
        if len(entries) == 1:
            self.notify(f"Removed {entry_name(entries[0])}. Press u to undo.", markup=False)
        else:
            self.notify(f"Removed {len(removed)} tasks. Press u to undo.", markup=False)

    def _remove(self, entry: WatchEntry) -> None:
        self._remove_many([entry])

    def action_undo_remove(self) -> None:
        if not self._undo:
            self.notify("Nothing to undo.", severity="warning", markup=False)
            return
        entries = self._undo.pop()
        try:
            self.poller.restore(entries)
        except Exception as exc:
            self._undo.append(entries)
            self.notify(
                f"Could not restore: {clean_text(str(exc), limit=300)}",
                severity="error",
                markup=False,
            )
            return
        self._apply_now()  # the rows come back (in place) through the poller's ListChanged
        names = ", ".join(entry_name(e, 40) for e in entries[:5])
        more = f" and {len(entries) - 5} more" if len(entries) > 5 else ""
        self.notify(f"Restored {names}{more}.", markup=False)

    def action_open_video(self) -> None:
        """Open the saved file of a downloaded task (``download_feed._open_saved``), else
        the result's link in the browser."""
        entry = self._selected()
        if entry is not None:
            if self._open_saved(entry):
                return
            noun = result_noun(entry)
            self._with_video(
                entry, "open", lambda video: self.open_video_url(video.url or "", noun)
            )

    def open_video_url(self, url: str, noun: str = "video") -> None:
        """Open a URL from a server answer, if it is a plain http(s) link; never blocks."""
        reason = check_open_url(url)
        if reason is not None:
            self.notify(
                f"Not opening this link: {reason}.", severity="warning", markup=False, timeout=8
            )
            return
        self._launch_opener(url, noun)

    def _launch_opener(self, url: str, noun: str, *, what: str = "link") -> None:
        """Hand a checked URL (an http(s) link, or a saved file's ``file://`` URL) to the
        one injectable opener, in a thread worker: the browser command never blocks."""
        opener = self._open_browser

        def launch() -> None:
            try:
                ok = bool(opener(url))
                error = None if ok else "no web browser could be started"
            except (webbrowser.Error, ValueError, OSError) as exc:
                error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            except Exception as exc:  # any failure of the browser command is reported, not raised
                error = f"{type(exc).__name__}: {exc}"
            with contextlib.suppress(RuntimeError):  # the app may be closing
                self.call_from_thread(self._browser_done, url, error, noun, what)

        self.run_worker(
            launch, thread=True, exit_on_error=False, group="browser", name="open-browser"
        )

    def _browser_done(
        self, url: str, error: str | None, noun: str = "video", what: str = "link"
    ) -> None:
        if error is None:
            where = "" if what == "file" else " in your browser"
            self.notify(f"Opened the {noun}{where}.", markup=False)
            return

        def answered(copy: bool | None) -> None:
            if copy:
                self._copy(url, f"{noun} URL")

        self.push_screen(OpenFailedScreen(url, clean_text(error, limit=300)), answered)

    def _copy(self, text: str, what: str) -> None:
        """Copy through the terminal (OSC 52): say so, since nothing can tell if it arrived."""
        self.copy_to_clipboard(text)
        self._copied = (text, what)
        show = self._keys_for("show_copied", self.screen_stack[0])
        hint = f"{show} shows it" if show else "“Show the copied text” (ctrl+p) shows it"
        self.notify(
            f"Sent the {what} to the terminal clipboard (OSC 52): {clean_text(text, limit=120)}"
            f"\nNot there? {hint} to copy by hand.",
            markup=False,
            timeout=8,
        )

    def action_show_copied(self) -> None:
        if self._copied is None:
            base = self.screen_stack[0]
            self.notify(
                f"Nothing copied yet: {self._keys_for('copy_id', base) or 'copy id'} copies the "
                f"task id, {self._keys_for('copy_url', base) or 'copy URL'} the video URL.",
                severity="warning",
                markup=False,
            )
            return
        text, what = self._copied
        self.push_screen(CopyTextScreen(text, what))

    def action_copy_url(self) -> None:
        targets = self._target_entries()
        if not targets:
            return
        if not self.table.marked:
            entry = targets[0]
            what = f"{result_noun(entry)} URL"
            self._with_video(entry, "copy", lambda video: self._copy(video.url or "", what))
            return
        urls = [r.url or "" for e in targets for r in self._videos_with_url(e)]
        without = sum(1 for e in targets if not self._videos_with_url(e))
        if not urls:
            self.notify("None of the marked tasks has a URL yet.", severity="warning", markup=False)
            return
        note = f" ({without} marked without a URL left out)" if without else ""
        self._copy("\n".join(urls), f"{len(urls)} URLs{note}")

    def action_copy_id(self) -> None:
        targets = self._target_entries()
        if len(targets) == 1 and not self.table.marked:
            self._copy(targets[0].task_id, "task id")
        elif targets:
            self._copy("\n".join(e.task_id for e in targets), f"{len(targets)} task ids")

    def action_refresh_task(self) -> None:
        targets = self._target_entries()
        if not targets:
            return
        for entry in targets:
            self.poller.refresh(entry.key)
        # The refresh runs while paused too (issue 9): say so, not "(polling is paused)".
        note = "; polling stays paused" if self.poller.paused else ""
        name = entry_name(targets[0]) if len(targets) == 1 else f"{len(targets)} tasks"
        self.notify(f"Refreshing {name} now{note}.", markup=False, timeout=2)

    def action_refresh_all(self) -> None:
        self.poller.refresh(None)
        note = "; polling stays paused" if self.poller.paused else ""
        self.notify(
            f"Refreshing all {self.table.total_count} tasks now{note}.", markup=False, timeout=2
        )
