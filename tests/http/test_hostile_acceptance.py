"""Issue 10 acceptance: every CLI command, run as a user runs it (a child process, real
stdout and stderr bytes), against a hostile gateway, prints no raw control, bidi, zero-width
or tag character and no secret; nor does the watch list file hold one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kling_tui.sim.simulator import Fault, Simulator
from tests.support.sim import ACCESS_KEY, SECRET_KEY, TOKEN

ROOT = Path(__file__).parents[2]

# What must never appear raw, written independently of kling_tui.gateway.sanitize.
FORBIDDEN_BYTES = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")
FORBIDDEN_CHARS = re.compile(
    "[\x80-\x9f"  # C1 controls
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidi controls
    "\u00ad\u180e\u200b-\u200d\u2060-\u2064\ufeff"  # zero-width and invisible
    "\U000e0000-\U000e007f"  # tag characters
    "\u2028\u2029]"
)
HOSTILE_LABEL = "x\x1b]52;c;cHduZWQ=\x07\u202e\u200b\U000e0041\x9b2J"
HOSTILE_IDS = "\x1b]52;c;cHduZWQ=\x07 a\x9bb x\u202ey z\u200bw t\U000e0041"


def check(data: bytes, where: str, secrets: list[str]) -> None:
    bad = FORBIDDEN_BYTES.search(data)
    assert bad is None, f"raw byte {bad.group()!r} in {where}: {data[:400]!r}"
    text = data.decode("utf-8")  # must be valid UTF-8, too
    char = FORBIDDEN_CHARS.search(text)
    assert char is None, f"raw U+{ord(char.group()):04X} in {where}: {text[:400]!r}"
    for secret in secrets:
        assert secret not in text, f"a secret in {where}"


@pytest.fixture
def hostile(sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Two gateways (static token, JWT) on a simulator where every task misbehaves."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'default_gateway = "relay"\n[poll]\ninterval = 1\nmax_interval = 1\n'
        f'[gateways.relay]\nbase_url = "{sim.base_url}"\nmax_retries = 0\n'
        f'[gateways.kling]\nbase_url = "{sim.base_url}"\naccess_key_env = "KLING_ACCESS_KEY"\n'
        f'secret_key_env = "KLING_SECRET_KEY"\nmax_retries = 0\n'
        # The faults here are per task; a list page (issue 12's list refresh) would answer
        # for these tasks without them. Hostile list pages: tests/http/test_listing.py.
        f"list_refresh = false\n",
        encoding="utf-8",
    )
    config.chmod(0o600)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KLING_TUI_CONFIG": str(config),
        "KLING_TUI_WATCHLIST": str(tmp_path / "watchlist.toml"),
        "KLING_API_KEY": TOKEN,
        "KLING_ACCESS_KEY": ACCESS_KEY,
        "KLING_SECRET_KEY": SECRET_KEY,
    }
    tasks: dict[str, str] = {"env": "", "watchlist": env["KLING_TUI_WATCHLIST"]}
    for fault in (
        Fault.HOSTILE,
        Fault.REFLECT_401,
        Fault.REFLECT_429,
        Fault.REFLECT_500,
        Fault.REDIRECT_C1,
    ):
        for gateway in ("relay", "kling"):
            task = sim.add_task()
            sim.inject(fault, count=-1, task_id=task.task_id)
            tasks[f"{gateway}:{fault.value}"] = task.task_id
    monkeypatch.setattr("os.environ", env)
    return tasks


def test_every_command_against_a_hostile_gateway_prints_nothing_raw_and_no_secret(
    sim: Simulator, hostile: dict[str, str]
) -> None:
    def ids(gateway: str, *faults: Fault) -> list[str]:
        return [hostile[f"{gateway}:{f.value}"] for f in faults]

    faults = [Fault.HOSTILE, Fault.REFLECT_401, Fault.REFLECT_429, Fault.REFLECT_500]
    faults.append(Fault.REDIRECT_C1)
    ending = [Fault.HOSTILE, Fault.REFLECT_401]  # failed / auth: wait stops on these
    runs: list[tuple[list[str], str | None, set[int]]] = []
    for gateway in ("relay", "kling"):
        g = ["--gateway", gateway]
        runs += [
            (["add", *g, *ids(gateway, *faults)], None, {0}),
            (["status", *g, *ids(gateway, *faults)], None, {1}),
            (["status", *g, "--json", *ids(gateway, *faults)], None, {1}),
        ]
    runs += [
        (["add", "--label", HOSTILE_LABEL, "123456789012345678"], None, {0}),
        (["add", "-"], HOSTILE_IDS, {2}),
        (["status", "-"], HOSTILE_IDS, {1}),
        (["status", "--json", "-"], HOSTILE_IDS, {1}),
        (["ls"], None, {0}),
        (["ls", "--json"], None, {0}),
        (["watch", "--once"], None, {1}),
        (["watch", "--once", "--json"], None, {1}),
        (["wait", *ids("relay", *ending), *ids("kling", *ending)], None, {1}),
        (["wait", "--json", *ids("relay", *ending), *ids("kling", *ending)], None, {1}),
        (["wait", "--json", "--timeout", "1.5"], None, {3}),
        (["rm", "-"], HOSTILE_IDS, {1}),
        (["rm", HOSTILE_LABEL, "123456789012345678"], None, {1}),
        (["rm", "--json"], None, {2}),  # a usage error from argparse
    ]
    outputs: list[tuple[str, bytes]] = []
    for argv, stdin, codes in runs:
        child = subprocess.run(
            [sys.executable, "-m", "kling_tui", *argv],
            input=stdin.encode() if stdin is not None else b"",
            capture_output=True,
            timeout=120,
            env=os.environ,
            cwd=ROOT,
        )
        shown = " ".join(a.encode("unicode_escape").decode() for a in argv)
        assert child.returncode in codes, (shown, child.returncode, child.stderr[-600:])
        assert b"Traceback" not in child.stderr, (shown, child.stderr[-600:])
        outputs += [(f"stdout of {shown}", child.stdout), (f"stderr of {shown}", child.stderr)]
    outputs.append(("the watch list file", Path(hostile["watchlist"]).read_bytes()))

    secrets = [TOKEN, ACCESS_KEY, SECRET_KEY, *sim.bearers]
    assert any(b.count(".") == 2 for b in sim.bearers), "the JWT gateway was queried"
    for where, data in outputs:
        check(data, where, secrets)
    everything = b"\n".join(data for _, data in outputs).decode()
    # the hostile text arrived and is visible as escapes, the reflected token as ***
    for escape in ("\\x1b]52", "\\x9b2J", "\\u202e", "\\u200b", "\\U000e0041", "***"):
        assert escape in everything, escape
