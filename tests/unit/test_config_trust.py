"""Issue 10, config errors: names shown cleaned (item 7), no secret repeated (item 9), and
every numeric setting bounded (item 10)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kling_tui.cli import main
from kling_tui.config import ConfigError, load_config

PASTED = "sk-Zq81ahrT0kenPastedInTheWrongPlace0123456789"
GW = '[gateways.relay]\nbase_url = "https://relay.example"\n'
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def error_for(path: Path, env: dict[str, str] | None = None, **kw: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(config_flag=path, env=env or {}, **kw)
    return info.value


# -- item 7: names from the file are shown cleaned -----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '[gateways."a\\u001b]52;c;cHduZWQ=\\u0007"]\nbase_url = "https://x.example"\n',
        GW + '"k\\u001b[2J\\u009b" = 1\n',
        '[gateways.relay]\nbase_url = "https://x.example"\n[gateways."\\u202ebad"]\n',
    ],
)
def test_config_errors_show_names_cleaned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    path = write(tmp_path, text)
    err = error_for(path)
    assert RAW_CONTROL.search(str(err)) is None and "\u202e" not in str(err)
    assert "\\x1b" in str(err) or "\\u202e" in str(err)
    assert main(["--config", str(path), "status", "1"]) == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith(f"kling-tui: config {path}: ")
    assert RAW_CONTROL.search(stderr) is None and "\u202e" not in stderr


# -- item 9: a token pasted into the wrong key is not repeated -----------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (GW + f'token_env = "{PASTED}"\n', "gateways.relay.token_env"),
        (GW + f'access_key_env = "{PASTED}"\n', "gateways.relay.access_key_env"),
        (f'default_gateway = "{PASTED}"\n' + GW, "default_gateway"),
        (GW + f'timeout = "{PASTED}"\n', "gateways.relay.timeout"),
        (GW + f'max_retries = "{PASTED}"\n', "gateways.relay.max_retries"),
        (GW + f'base_url_ = "{PASTED}"\n', "gateways.relay.base_url_"),
        (f'[gateways.relay]\nbase_url = "{PASTED}"\n', "gateways.relay.base_url"),
        (GW + f'path_prefix = "{PASTED}"\n', "gateways.relay.path_prefix"),
        (GW + f'[poll]\ninterval = "{PASTED}"\n', "poll.interval"),
        (f'theme = ["{PASTED}"]\n', "theme"),
    ],
)
def test_a_token_in_the_wrong_key_is_not_repeated(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path, text)
    err = error_for(path)
    shown = str(err)
    assert str(path) in shown and key in shown and "expected " in shown
    assert PASTED not in shown and PASTED[:5] not in shown
    assert PASTED not in repr(err)
    if "got" in shown and not key == "theme":
        assert f"'sk-Z…' ({len(PASTED)} characters)" in shown


@pytest.mark.parametrize(
    ("kw", "env"),
    [
        ({"gateway": PASTED}, {}),
        ({}, {"KLING_TUI_GATEWAY": PASTED}),
        ({"base_url": PASTED}, {}),
        ({}, {"KLING_TUI_BASE_URL": PASTED}),
        ({"path_prefix": PASTED}, {}),
    ],
)
def test_a_token_in_a_flag_or_variable_is_not_repeated(
    tmp_path: Path, kw: dict[str, str], env: dict[str, str]
) -> None:
    err = error_for(write(tmp_path, GW), env, **kw)
    assert PASTED not in str(err) and PASTED[:5] not in str(err)


def test_an_unknown_gateway_name_is_not_repeated(tmp_path: Path) -> None:
    config = load_config(config_flag=write(tmp_path, GW), env={})
    with pytest.raises(ConfigError) as info:
        config.gateway(PASTED)
    assert PASTED[:5] not in str(info.value) and "relay" in str(info.value)


# -- item 10: every numeric setting has a range ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "range_text"),
    [
        (GW + "[poll]\ninterval = 1e-6\n", "poll.interval", "from 1 to 3600 (seconds)"),
        (GW + "[poll]\ninterval = 0.5\n", "poll.interval", "from 1 to 3600 (seconds)"),
        (GW + "[poll]\ninterval = 3601\n", "poll.interval", "from 1 to 3600 (seconds)"),
        (GW + "[poll]\nmax_interval = 1e9\n", "poll.max_interval", "from 1 to 3600 (seconds)"),
        (
            GW + "[poll]\ninterval = 30\nmax_interval = 10\n",
            "poll.max_interval",
            "from poll.interval (30) to 3600 (seconds)",
        ),
        (GW + "timeout = 0.001\n", "gateways.relay.timeout", "from 1 to 600 (seconds)"),
        (GW + "timeout = 601\n", "gateways.relay.timeout", "from 1 to 600 (seconds)"),
        (GW + "connect_timeout = 0.5\n", "gateways.relay.connect_timeout", "from 1 to 600"),
        (GW + "connect_timeout = 1e6\n", "gateways.relay.connect_timeout", "from 1 to 600"),
        (GW + "max_concurrency = 0\n", "gateways.relay.max_concurrency", "from 1 to 64"),
        (GW + "max_concurrency = 65\n", "gateways.relay.max_concurrency", "from 1 to 64"),
        (GW + "max_retries = -1\n", "gateways.relay.max_retries", "from 0 to 10"),
        (GW + "max_retries = 11\n", "gateways.relay.max_retries", "from 0 to 10"),
        (GW + "max_retries = 1000000\n", "gateways.relay.max_retries", "from 0 to 10"),
    ],
)
def test_numbers_out_of_range_are_refused_with_file_key_and_range(
    tmp_path: Path, text: str, key: str, range_text: str
) -> None:
    path = write(tmp_path, text)
    err = error_for(path)
    assert err.key == key
    assert str(err).startswith(f"config {path}: {key}: expected ")
    assert range_text in str(err)


def test_the_bounds_themselves_are_accepted(tmp_path: Path) -> None:
    low = GW + "timeout = 1\nconnect_timeout = 1\nmax_concurrency = 1\nmax_retries = 0\n"
    config = load_config(config_flag=write(tmp_path, low + "[poll]\ninterval = 1\n"), env={})
    relay = config.gateways["relay"]
    assert (relay.timeout, relay.connect_timeout, relay.max_concurrency, relay.max_retries) == (
        1.0,
        1.0,
        1,
        0,
    )
    assert config.poll.interval == 1.0
    high = GW + "timeout = 600\nconnect_timeout = 600\nmax_concurrency = 64\nmax_retries = 10\n"
    text = high + "[poll]\ninterval = 3600\nmax_interval = 3600\n"
    config = load_config(config_flag=write(tmp_path, text), env={})
    relay = config.gateways["relay"]
    assert (relay.timeout, relay.max_concurrency, relay.max_retries) == (600.0, 64, 10)
    assert (config.poll.interval, config.poll.max_interval) == (3600.0, 3600.0)
