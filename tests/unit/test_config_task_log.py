"""``gateways.NAME.task_log`` / ``access_token(_env)`` / ``user_id``: the relay task log that
``kling-tui import`` reads, configured like the API key (environment over file, a secret in a
file only its owner can read, checked at load)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kling_tui.config import ConfigError, load_config

RELAY = '[gateways.relay]\nbase_url = "https://relay.example"\n'


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None, mode: int = 0o600):  # type: ignore[no-untyped-def]
    path = tmp_path / "config.toml"
    path.write_text(text)
    path.chmod(mode)
    return load_config(config_flag=path, env={"KLING_API_KEY": "t", **(env or {})})


def test_off_by_default_and_the_token_from_the_environment(tmp_path: Path) -> None:
    plain = load(tmp_path, RELAY).gateway("relay")
    assert plain.task_log is False and plain.task_log_token is None and plain.user_id is None
    text = RELAY + 'task_log = true\naccess_token_env = "MY_ACCESS"\nuser_id = 42\n'
    gw = load(tmp_path, text, {"MY_ACCESS": "acc-123456"}).gateway("relay")
    assert gw.task_log and gw.user_id == 42 and gw.task_log_hint == "MY_ACCESS"
    assert gw.task_log_token is not None and gw.task_log_token.bearer().reveal() == "acc-123456"
    assert "acc-123456" not in repr(gw)
    unset = load(tmp_path, RELAY + "task_log = true\n").gateway("relay")
    assert unset.task_log_token is None and unset.task_log_hint == "KLING_RELAY_ACCESS_TOKEN"


def test_an_access_token_in_the_file_needs_a_private_file(tmp_path: Path) -> None:
    text = RELAY + 'task_log = true\naccess_token = "acc-in-file"\n'
    gw = load(tmp_path, text).gateway("relay")
    assert gw.task_log_token is not None and gw.task_log_token.bearer().reveal() == "acc-in-file"
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text, mode=0o644)
    assert "gateways.relay.access_token" in str(info.value)
    assert "acc-in-file" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ('task_log = "yes"\n', "task_log", "true or false"),
        ("task_log = true\nuser_id = 0\n", "user_id", "from 1 to 2147483647"),
        ('task_log = true\nuser_id = "42"\n', "user_id", "whole number"),
        ('task_log = true\naccess_token_env = "no spaces"\n', "access_token_env", "variable"),
    ],
)
def test_bad_values_are_refused_at_load(tmp_path: Path, text: str, key: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, RELAY + text)
    assert info.value.key == f"gateways.relay.{key}"
    assert expected in str(info.value)
