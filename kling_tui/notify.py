"""Telling the world a task finished: the ``[notify]`` command and terminal notifications.

``[notify] command = ["notify-send", "Kling"]`` runs that program (argv, never a shell
string) for every task that succeeds or fails, with the task's fields as environment
variables: ``KLING_`` + each export column in capitals (``KLING_TASK_ID``,
``KLING_STATUS``, ``KLING_KIND``, ``KLING_VIDEO_URLS``, ``KLING_MESSAGE``…), built by the
export's one row builder and cleaned (no control, bidi or zero-width character; capped).
Inherited ``KLING_*`` variables (tokens!) and the variables the config reads tokens from
(``token_env = "RELAY_TOKEN"``) are removed first. Runs are asynchronous (the
UI loop never waits), at most :data:`MAX_RUNNING` at once and :data:`MAX_WAITING` queued
(the rest skipped and counted), each killed after ``timeout`` seconds. The first failure is
reported once; later ones are not repeated.

``terminal = true`` also sends OSC 9 (iTerm2, WezTerm, Windows Terminal, Ghostty) or OSC 777
(VTE terminals such as GNOME Terminal, foot, urxvt) where the terminal is known to show
them; the text is stripped of every control character, so no ESC or BEL from a server
string can end the sequence early.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from kling_tui.export import LIST_SEPARATOR, export_row
from kling_tui.gateway.sanitize import clean_text
from kling_tui.models import WatchEntry

ENV_PREFIX = "KLING_"
ENV_VALUE_LIMIT = 4_000
MAX_RUNNING = 4
MAX_WAITING = 64
OSC_TEXT_LIMIT = 200
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def task_env(entry: WatchEntry) -> dict[str, str]:
    """The task's fields as ``KLING_*`` variables (None -> empty, lists space-joined)."""
    env: dict[str, str] = {}
    for column, value in export_row(entry).items():
        if value is None:
            text = ""
        elif isinstance(value, list):
            text = LIST_SEPARATOR.join(str(v) for v in value)
        elif isinstance(value, float):
            text = f"{value:g}"
        else:
            text = str(value)
        env[ENV_PREFIX + column.upper()] = clean_text(text, ENV_VALUE_LIMIT)
    return env


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def secret_env_names(hints: Iterable[str]) -> frozenset[str]:
    """The variables the config reads tokens from, out of the gateways' credential hints
    (``token_env = "RELAY_TOKEN"`` gives the hint ``RELAY_TOKEN``, a key pair
    ``AK/SK``; ``AK/secret_key in FILE`` only ``AK``: the path after `` in `` is cut)."""
    names = set()
    for hint in hints:
        for part in hint.split(" in ", 1)[0].split("/"):
            if _ENV_NAME.fullmatch(part) and part not in ("token", "access_key", "secret_key"):
                names.add(part)
    return frozenset(names)


def child_env(
    entry: WatchEntry, base: Mapping[str, str], secret_names: Collection[str] = ()
) -> dict[str, str]:
    """The environment of one run: ``base`` without any ``KLING_*`` variable (API keys and
    access tokens live there) nor any variable the config names as a token's source
    (``token_env = "RELAY_TOKEN"``), plus the task's variables."""
    env = {k: v for k, v in base.items() if not k.startswith(ENV_PREFIX) and k not in secret_names}
    env.update(task_env(entry))
    return env


@dataclass(frozen=True, slots=True)
class RunResult:
    """One run: ``problem`` is None when the command exited 0 in time."""

    problem: str | None


class NotifyRunner:
    """Runs the configured command for finished tasks, off the caller's loop.

    ``report`` is called (on the running loop) with one message the first time a run
    fails or runs are skipped; later failures are counted, not repeated.
    """

    def __init__(
        self,
        command: Sequence[str],
        *,
        timeout: float = 10.0,
        base_env: Mapping[str, str] | None = None,
        secret_names: Collection[str] = (),
    ) -> None:
        self.command = tuple(command)
        self._secret_names = frozenset(secret_names)
        self.timeout = timeout
        self._base_env = dict(os.environ if base_env is None else base_env)
        self._slots = asyncio.Semaphore(MAX_RUNNING)
        self._waiting = 0
        self._tasks: set[asyncio.Task[RunResult]] = set()
        self.failures = 0
        self.skipped = 0
        self.reported = False
        self._first_problem = ""

    @property
    def enabled(self) -> bool:
        return bool(self.command)

    def submit(self, entry: WatchEntry) -> asyncio.Task[RunResult] | None:
        """Start a run for ``entry`` in the background (None: off, or too many waiting)."""
        if not self.enabled:
            return None
        if self._waiting >= MAX_WAITING:
            self.skipped += 1
            return None
        self._waiting += 1
        task = asyncio.get_running_loop().create_task(self._queued(entry))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def take_report(self) -> str | None:
        """The one message to show, once: the first failure, or that runs were skipped."""
        if self.reported or not (self.failures or self.skipped):
            return None
        self.reported = True
        if self.skipped and not self.failures:
            return (
                f"notify command: {self.skipped} runs skipped ({MAX_WAITING} already waiting); "
                "further problems are not reported"
            )
        return self._first_problem + " (further failures are not reported)"

    async def _queued(self, entry: WatchEntry) -> RunResult:
        try:
            async with self._slots:
                result = await self.run(entry)
        finally:
            self._waiting -= 1
        if result.problem is not None:
            self.failures += 1
            if self.failures == 1:
                self._first_problem = result.problem
        return result

    async def run(self, entry: WatchEntry) -> RunResult:
        """Run the command once for ``entry`` and wait for it (at most ``timeout``)."""
        name = clean_text(self.command[0], 200)
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.command,
                env=child_env(entry, self._base_env, self._secret_names),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C in the dashboard is not the command's
            )
        except OSError as exc:
            why = clean_text(exc.strerror or str(exc), 200)
            return RunResult(f"notify command {name} could not start: {why}")
        try:
            code = await asyncio.wait_for(proc.wait(), self.timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            return RunResult(f"notify command {name} ran over {self.timeout:g} s and was stopped")
        if code != 0:
            return RunResult(f"notify command {name} exited with status {code}")
        return RunResult(None)

    async def drain(self) -> None:
        """Wait for the runs in progress (tests, and quitting)."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


# -- terminal notifications (OSC 9 / OSC 777) --------------------------------------------


def terminal_osc(env: Mapping[str, str]) -> str | None:
    """Which OSC notification the terminal shows: ``"9"``, ``"777"`` or None (unknown:
    nothing is sent, since other terminals may print the text). Inside tmux or screen
    nothing is sent either (they would need passthrough)."""
    if env.get("TMUX") or env.get("TERM", "").startswith("screen"):
        return None
    program = env.get("TERM_PROGRAM", "")
    if program in ("iTerm.app", "WezTerm", "ghostty") or env.get("WT_SESSION"):
        return "9"
    term = env.get("TERM", "")
    if env.get("VTE_VERSION") or term.startswith(("foot", "rxvt")):
        return "777"
    return None


def osc_text(text: str, limit: int = OSC_TEXT_LIMIT) -> str:
    """Text safe inside an OSC string: every control, bidi and zero-width character (ESC,
    BEL, the C1 ST) becomes a space, then the length is capped."""
    return _UNSAFE.sub(" ", text)[:limit]


def osc_notification(kind: str, title: str, body: str) -> str:
    """The escape sequence of one notification (BEL-terminated, widely understood)."""
    if kind == "777":
        return f"\x1b]777;notify;{osc_text(title).replace(';', ',')};{osc_text(body)}\x07"
    text = osc_text(f"{title}: {body}" if body else title)
    return f"\x1b]9;{text}\x07"
