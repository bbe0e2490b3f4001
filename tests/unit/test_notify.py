"""The notify runner (``kling_tui.notify``): a real script as the command, its environment
asserted; failures reported once; OSC text that cannot end its sequence early."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from kling_tui.config import ConfigError, load_config
from kling_tui.models import Status
from kling_tui.notify import (
    MAX_WAITING,
    NotifyRunner,
    osc_notification,
    osc_text,
    secret_env_names,
    task_env,
    terminal_osc,
)
from tests.support.ui_fakes import entry

HOSTILE = "boom\x1b]52;c;AAAA\x07\x9c\u202e; rm -rf ~ $(id)"


def dump_script(tmp_path: Path) -> tuple[list[str], Path]:
    """A command that writes its KLING_* environment and argv to a file."""
    out = tmp_path / "env.jsonl"
    script = tmp_path / "dump.py"
    script.write_text(
        "import json, os, sys\n"
        f"with open({str(out)!r}, 'a') as f:\n"
        "    env = {k: v for k, v in os.environ.items() if k.startswith('KLING_')}\n"
        "    f.write(json.dumps({'env': env, 'argv': sys.argv[1:]}) + '\\n')\n"
    )
    return [sys.executable, str(script), "$KLING_TASK_ID", ";", "|"], out


async def test_the_command_gets_the_task_fields_and_no_token(tmp_path: Path) -> None:
    command, out = dump_script(tmp_path)
    task = entry("task-ok-1", Status.FAILED, label="sunrise", message=HOSTILE)
    runner = NotifyRunner(command, base_env={"PATH": "/usr/bin", "KLING_API_KEY": "sk-secret"})
    submitted = runner.submit(task)
    assert submitted is not None
    result = await submitted
    assert result.problem is None
    record = json.loads(out.read_text())
    env = record["env"]
    assert env["KLING_TASK_ID"] == "task-ok-1"
    assert env["KLING_STATUS"] == "failed"
    assert env["KLING_KIND"] == "text2video"
    assert env["KLING_LABEL"] == "sunrise"
    assert "KLING_API_KEY" not in env, "inherited KLING_* variables (tokens) are dropped"
    for bad in ("\x1b", "\x07", "\x9c", "\u202e"):
        assert bad not in env["KLING_MESSAGE"]
    assert "rm -rf" in env["KLING_MESSAGE"]
    assert record["argv"] == ["$KLING_TASK_ID", ";", "|"], "argv, never a shell"
    assert set(task_env(task)) == set(env)


async def test_a_failing_command_is_reported_once(tmp_path: Path) -> None:
    runner = NotifyRunner([sys.executable, "-c", "raise SystemExit(3)"])
    for name in ("a", "b"):
        task = runner.submit(entry(name, Status.SUCCEEDED))
        assert task is not None
        await task
    assert runner.failures == 2
    report = runner.take_report()
    assert report is not None and "exited with status 3" in report
    assert runner.take_report() is None


async def test_a_missing_program_and_a_slow_one(tmp_path: Path) -> None:
    missing = NotifyRunner([str(tmp_path / "no-such-program")])
    result = await missing.run(entry("a", Status.SUCCEEDED))
    assert result.problem is not None and "could not start" in result.problem
    slow = NotifyRunner([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await slow.run(entry("b", Status.SUCCEEDED))
    assert loop.time() - started < 5
    assert result.problem is not None and "was stopped" in result.problem


async def test_submit_does_not_wait_and_caps_the_queue(tmp_path: Path) -> None:
    runner = NotifyRunner([sys.executable, "-c", "import time; time.sleep(0.2)"])
    loop = asyncio.get_running_loop()
    started = loop.time()
    tasks = [runner.submit(entry(f"t{i}", Status.SUCCEEDED)) for i in range(MAX_WAITING + 3)]
    assert loop.time() - started < 0.5, "submitting never waits for a run"
    assert tasks.count(None) == 3 and runner.skipped == 3
    await runner.drain()
    assert "skipped" in (runner.take_report() or "")


def test_off_without_a_command() -> None:
    runner = NotifyRunner([])
    assert not runner.enabled


def test_osc_text_cannot_end_the_sequence_early() -> None:
    for kind in ("9", "777"):
        seq = osc_notification(kind, "kling;tui", HOSTILE)
        body = seq[2:-1]
        assert seq.startswith("\x1b]") and seq.endswith("\x07")
        for bad in ("\x1b", "\x07", "\x9c", "\u202e"):
            assert bad not in body
    assert osc_notification("777", "a;b", "c").startswith("\x1b]777;notify;a,b;c")
    assert len(osc_text("x" * 1000)) == 200


@pytest.mark.parametrize(
    ("env", "kind"),
    [
        ({"TERM_PROGRAM": "iTerm.app"}, "9"),
        ({"TERM_PROGRAM": "WezTerm"}, "9"),
        ({"WT_SESSION": "x"}, "9"),
        ({"VTE_VERSION": "7600", "TERM": "xterm-256color"}, "777"),
        ({"TERM": "foot"}, "777"),
        ({"TERM": "xterm-256color"}, None),
        ({"TERM_PROGRAM": "iTerm.app", "TMUX": "/tmp/tmux"}, None),
    ],
)
def test_terminal_detection(env: dict[str, str], kind: str | None) -> None:
    assert terminal_osc(env) == kind


def test_notify_config_loads_and_refuses_a_shell_string(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[notify]\ncommand = ["notify-send", "Kling"]\ntimeout = 5\nterminal = true\n')
    config = load_config(config_flag=path, env={})
    assert config.notify.command == ("notify-send", "Kling")
    assert config.notify.timeout == 5.0 and config.notify.terminal
    for bad in (
        'command = "notify-send Kling"',
        "command = []",
        'command = ["a\\u001b"]',
        "timeout = 0",
        "timeout = 301",
        'terminal = "yes"',
        'colour = "red"',
    ):
        path.write_text(f"[notify]\n{bad}\n")
        with pytest.raises(ConfigError, match="notify"):
            load_config(config_flag=path, env={})
    path.write_text("")
    assert load_config(config_flag=path, env={}).notify.command == ()


def test_the_readme_notify_example_loads(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("```toml\n[notify]\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "config.toml"
    path.write_text("[notify]\n" + block)
    config = load_config(config_flag=path, env={})
    assert config.notify.command == ("notify-send", "Kling task finished")
    assert config.notify.terminal


async def test_a_token_variable_named_in_the_config_is_not_passed(tmp_path: Path) -> None:
    """``token_env = "RELAY_TOKEN"`` (any name, not only KLING_*) is a secret as well."""
    script = tmp_path / "dump.py"
    out = tmp_path / "env.json"
    script.write_text(
        f"import json, os\nopen({str(out)!r}, 'w').write(json.dumps(dict(os.environ)))\n"
    )
    names = secret_env_names(["RELAY_TOKEN", "MY_AK/MY_SK", "token in /etc/kling.toml"])
    assert names == {"RELAY_TOKEN", "MY_AK", "MY_SK"}
    base = {"PATH": "/usr/bin", "RELAY_TOKEN": "sk-1", "MY_AK": "ak", "MY_SK": "sk", "HOME": "/h"}
    runner = NotifyRunner([sys.executable, str(script)], base_env=base, secret_names=names)
    submitted = runner.submit(entry("task-ok-1", Status.SUCCEEDED))
    assert submitted is not None
    assert (await submitted).problem is None
    env = json.loads(out.read_text())
    assert not {"RELAY_TOKEN", "MY_AK", "MY_SK"} & set(env)
    assert env["HOME"] == "/h" and env["KLING_TASK_ID"] == "task-ok-1"
