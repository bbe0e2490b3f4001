"""``gateways.NAME.list_refresh``: on by default for native gateways, never on a relay."""

from __future__ import annotations

from pathlib import Path

import pytest

from kling_tui.config import ConfigError, load_config
from kling_tui.gateway.listing import is_native, lists_tasks

NATIVE = (
    '[gateways.kling]\nbase_url = "https://api.klingai.com"\naccess_key = "ak"\nsecret_key = "sk"\n'
)
RELAY = '[gateways.relay]\nbase_url = "https://relay.example"\n'


def load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "config.toml"
    path.write_text(text)
    path.chmod(0o600)
    return load_config(config_flag=path, env={"KLING_API_KEY": "t"})


def test_native_gateways_list_by_default_and_can_opt_out(tmp_path: Path) -> None:
    config = load(tmp_path, NATIVE + RELAY)
    kling, relay = config.gateway("kling"), config.gateway("relay")
    assert kling.list_refresh is None and is_native(kling) and lists_tasks(kling)
    assert relay.list_refresh is None and not is_native(relay) and not lists_tasks(relay)
    off = load(tmp_path, NATIVE + "list_refresh = false\n").gateway("kling")
    assert off.list_refresh is False and not lists_tasks(off)
    on = load(tmp_path, NATIVE + "list_refresh = true\n").gateway("kling")
    assert lists_tasks(on)
    relay_off = load(tmp_path, RELAY + "list_refresh = false\n").gateway("relay")
    assert not lists_tasks(relay_off)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (NATIVE + 'list_refresh = "no"\n', "true or false"),
        (NATIVE + "list_refresh = 0\n", "true or false"),
        (RELAY + "list_refresh = true\n", "native API (path_prefix /v1) only"),
        (NATIVE + 'path_prefix = "/kling/v1"\nlist_refresh = true\n', "path_prefix is /kling/v1"),
    ],
)
def test_list_refresh_is_checked_at_load(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    assert info.value.key is not None and info.value.key.endswith(".list_refresh")
    assert expected in str(info.value)
