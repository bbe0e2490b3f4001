"""A task finishing in the dashboard runs the ``[notify]`` command (in the background, the
toast as before) and, when switched on, sends one OSC notification per batch."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from kling_tui.config import NotifyConfig
from kling_tui.models import Status
from kling_tui.polling.poller import PollUpdate
from kling_tui.ui.app import KlingApp
from tests.support.ui_fakes import NOW, Opener, entry, make_config, make_poller, snapshot


def build(tmp_path: Path, entries: list, notify: NotifyConfig) -> KlingApp:
    config = replace(make_config("main"), notify=notify)
    poller = make_poller(tmp_path, entries)
    return KlingApp(
        poller, config, now=lambda: NOW, start_polling=False, open_browser=Opener(), tick_interval=0
    )


async def test_a_finish_runs_the_notify_command(tmp_path: Path) -> None:
    out = tmp_path / "ran.jsonl"
    script = tmp_path / "hook.py"
    script.write_text(
        "import json, os\n"
        f"open({str(out)!r}, 'a').write(json.dumps("
        "[os.environ['KLING_TASK_ID'], os.environ['KLING_STATUS']]) + '\\n')\n"
    )
    task = entry("t-ok", Status.IN_PROGRESS, progress=90.0)
    app = build(tmp_path, [task], NotifyConfig(command=(sys.executable, str(script))))
    async with app.run_test(size=(100, 30)) as pilot:
        sent: list[str] = []
        app._write_terminal = sent.append  # type: ignore[method-assign]
        task.snapshot = snapshot("t-ok", Status.SUCCEEDED, fetched_ago=0)
        app.poller._publish(PollUpdate(task, Status.IN_PROGRESS, False))
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["✓ Succeeded: t-ok"]
        await app.notifier.drain()
        assert [json.loads(line) for line in out.read_text().splitlines()] == [
            ["t-ok", "succeeded"]
        ]
        assert sent == [], "terminal notifications are off by default"


async def test_a_failing_command_is_one_notice_and_osc_is_sent_when_on(tmp_path: Path) -> None:
    tasks = [entry(f"t-{i}", Status.IN_PROGRESS) for i in range(2)]
    notify = NotifyConfig(command=(str(tmp_path / "missing-program"),), terminal=True)
    app = build(tmp_path, tasks, notify)
    app._osc_kind = "9"  # as detected on iTerm2 / WezTerm
    async with app.run_test(size=(100, 30)) as pilot:
        sent: list[str] = []
        app._write_terminal = sent.append  # type: ignore[method-assign]
        for task in tasks:
            task.snapshot = snapshot(
                task.task_id, Status.FAILED, message="bad\x1b]0;pwned\x07", fetched_ago=0
            )
            app.poller._publish(PollUpdate(task, Status.IN_PROGRESS, False))
            await pilot.pause()
        await app.notifier.drain()
        await pilot.pause()
        notices = [n.message for n in app._notifications if "notify command" in n.message]
        assert len(notices) == 1 and "could not start" in notices[0]
        assert sent and all(s.startswith("\x1b]9;") and s.endswith("\x07") for s in sent)
        assert all("\x1b" not in s[2:-1] and "\x07" not in s[:-1] for s in sent)


def test_the_app_keeps_the_configured_token_variables_from_the_command(tmp_path: Path) -> None:
    """``token_env = "RELAY_TOKEN"``: the dashboard's runner drops that variable too."""
    config = make_config("main")
    gateway = replace(config.gateways["main"], auth_hint="RELAY_TOKEN", task_log_hint="LOG_TOK")
    config = replace(config, gateways={"main": gateway}, notify=NotifyConfig(command=("true",)))
    app = KlingApp(
        make_poller(tmp_path, []), config, now=lambda: NOW, start_polling=False, tick_interval=0
    )
    assert app.notifier._secret_names == {"RELAY_TOKEN", "LOG_TOK"}
