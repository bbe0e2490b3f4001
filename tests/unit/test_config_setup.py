"""The first-run setup's writer: one gateway into the config file, validated like a load."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from kling_tui.config import (
    ConfigError,
    GatewaySetup,
    add_gateway,
    check_gateway_setup,
    load_config,
)
from kling_tui.gateway.auth import JwtSigner, StaticToken

TOKEN = "sk-SetupTokenAAAA1111"
ACCESS = "ak-SetupAccessBBBB2222"
SECRET = "sk-SetupSecretCCCC3333"


def relay(name: str = "relay", **kw: str) -> GatewaySetup:
    return GatewaySetup(name=name, base_url=kw.pop("base_url", "https://api.chainhub.tech"), **kw)


def test_a_new_file_is_private_loads_and_holds_no_secret(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.toml"
    env = {"KLING_API_KEY": TOKEN}
    result = add_gateway(path, relay(), env)
    assert result.created and result.path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    assert TOKEN not in text
    assert tomllib.loads(text)["gateways"] == {
        "relay": {
            "base_url": "https://api.chainhub.tech",
            "path_prefix": "/kling/v1",
            "token_env": "KLING_API_KEY",
        }
    }
    loaded = load_config(config_flag=path, env=env)
    assert loaded.default_gateway == "relay"
    gateway = loaded.gateway("relay")
    assert (gateway.base_url, gateway.path_prefix) == ("https://api.chainhub.tech", "/kling/v1")
    assert isinstance(gateway.credential, StaticToken)
    assert gateway.credential.bearer().reveal() == TOKEN
    # The result is the gateway as the file now loads, ready for the running app.
    assert result.gateway.credential is not None
    assert result.gateway.credential.bearer().reveal() == TOKEN
    assert result.config.default_gateway == "relay"


def test_native_key_pair_by_variable_names(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    setup = GatewaySetup(
        name="kling",
        base_url="https://api-singapore.klingai.com/",
        path_prefix="/v1",
        token_env=None,
        access_key_env="MY_AK",
        secret_key_env="MY_SK",
    )
    env = {"MY_AK": ACCESS, "MY_SK": SECRET}
    result = add_gateway(path, setup, env)
    text = path.read_text(encoding="utf-8")
    assert ACCESS not in text and SECRET not in text
    table = tomllib.loads(text)["gateways"]["kling"]
    assert table == {
        "base_url": "https://api-singapore.klingai.com/",
        "path_prefix": "/v1",
        "access_key_env": "MY_AK",
        "secret_key_env": "MY_SK",
    }
    gateway = load_config(config_flag=path, env=env).gateway("kling")
    assert gateway.base_url == "https://api-singapore.klingai.com"
    assert isinstance(gateway.credential, JwtSigner)
    assert isinstance(result.gateway.credential, JwtSigner)


def test_unset_variable_is_fine_the_gateway_just_has_no_credential_yet(tmp_path: Path) -> None:
    result = add_gateway(tmp_path / "config.toml", relay(), {})
    assert result.gateway.credential is None
    assert result.gateway.credential_hint == "KLING_API_KEY"


def test_merges_into_an_existing_file_keeping_comments_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    original = (
        '# my settings\ntheme = "kling-light"   # the light one\n\n'
        '[gateways.old]\nbase_url = "https://old.example"\n\n[poll]\ninterval = 9.0\n'
    )
    path.write_text(original, encoding="utf-8")
    path.chmod(0o640)  # no secret in it, so the operator's choice stays
    result = add_gateway(path, relay("new"), {})
    assert not result.created
    text = path.read_text(encoding="utf-8")
    assert text.startswith(original)  # nothing of the operator's is lost, comments included
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    loaded = load_config(config_flag=path, env={})
    assert list(loaded.gateways) == ["old", "new"]
    assert loaded.default_gateway == "old"  # the file's first gateway stays the default
    assert loaded.theme == "kling-light" and loaded.poll.interval == 9.0


def test_inline_gateways_table_falls_back_to_a_rewrite(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('gateways = { old = { base_url = "https://old.example" } }\n')
    add_gateway(path, relay(), {})
    assert list(load_config(config_flag=path, env={}).gateways) == ["old", "relay"]


@pytest.mark.parametrize(
    ("setup", "key", "expected"),
    [
        (relay(base_url="ftp://x.example"), "gateways.relay.base_url", "an http(s) URL"),
        (relay(base_url=""), "gateways.relay.base_url", "an http(s) URL"),
        (
            relay(base_url="https://x.example/kling/v1"),
            "gateways.relay.base_url",
            "put '/kling/v1' in path_prefix",
        ),
        (relay(path_prefix="kling/v1"), "gateways.relay.path_prefix", "a path starting with '/'"),
        (relay(token_env="KLING-API-KEY"), "gateways.relay.token_env", "environment variable"),
        (relay(token_env=""), "gateways.relay.token_env", "environment variable"),
        (
            GatewaySetup("k", "https://k.example", "/v1", None, "AK", ""),
            "gateways.k.secret_key_env",
            "environment variable",
        ),
        (relay("bad name"), "gateway name", "a gateway name"),
        (relay(""), "gateway name", "a gateway name"),
    ],
)
def test_validation_is_load_configs(
    tmp_path: Path, setup: GatewaySetup, key: str, expected: str
) -> None:
    path = tmp_path / "config.toml"
    for check in (check_gateway_setup, add_gateway):
        with pytest.raises(ConfigError) as info:
            check(path, setup, {})
        assert info.value.key == key
        assert expected in str(info.value)
    assert not path.exists()  # nothing written on a refusal


def test_the_same_rules_as_a_hand_written_file(tmp_path: Path) -> None:
    """The writer's refusal and load_config's refusal of the same table are one message."""
    bad = relay(base_url="https://x.example/kling/v1")
    with pytest.raises(ConfigError) as by_setup:
        check_gateway_setup(tmp_path / "config.toml", bad, {})
    hand = tmp_path / "config.toml"
    hand.write_text('[gateways.relay]\nbase_url = "https://x.example/kling/v1"\n')
    with pytest.raises(ConfigError) as by_load:
        load_config(config_flag=hand, env={})
    assert str(by_setup.value) == str(by_load.value)


def test_a_name_already_in_the_file_is_refused_and_the_file_kept(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[gateways.relay]\nbase_url = "https://mine.example"\n')
    before = path.read_bytes()
    with pytest.raises(ConfigError, match="not used yet in this file"):
        add_gateway(path, relay("relay"), {})
    assert path.read_bytes() == before


def test_a_broken_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("this is = = not toml\n")
    before = path.read_bytes()
    with pytest.raises(ConfigError, match="valid TOML"):
        add_gateway(path, relay(), {})
    assert path.read_bytes() == before


def test_a_token_file_readable_by_others_is_refused_not_merged(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[gateways.old]\nbase_url = "https://old.example"\ntoken = "{TOKEN}"\n')
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600") as info:
        add_gateway(path, relay(), {})
    assert TOKEN not in str(info.value)


def test_no_token_value_can_reach_the_file(tmp_path: Path) -> None:
    """Even a token pasted into the variable-name field is refused, not written."""
    path = tmp_path / "config.toml"
    with pytest.raises(ConfigError) as info:
        add_gateway(path, relay(token_env="sk-abc.def"), {})
    assert not path.exists()
    assert info.value.key == "gateways.relay.token_env"
