"""Config loading: precedence, validation messages, secret handling, theme persistence."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from kling_tui.config import (
    AppConfig,
    ConfigError,
    GatewayConfig,
    PollConfig,
    config_path,
    load_config,
    remember_theme,
)
from kling_tui.gateway.auth import JwtSigner, StaticToken

TOKEN = "sk-EnvTokenAAAA1111"
FILE_TOKEN = "sk-FileTokenBBBB2222"
OTHER_TOKEN = "sk-OtherTokenCCCC3333"
ACCESS = "ak-AccessDDDD4444"
SECRET = "sk-SecretEEEE5555"
ALL_SECRETS = (TOKEN, FILE_TOKEN, OTHER_TOKEN, ACCESS, SECRET)

SAMPLE = """\
# kling-tui settings
default_gateway = "relay"
theme = "kling-dark"

[gateways.relay]
base_url = "https://api.chainhub.tech"
path_prefix = "/kling/v1"
token_env = "KLING_API_KEY"   # default when no other auth is given
timeout = 15.0
max_concurrency = 8

[gateways.kling]
base_url = "https://api.klingai.com"
path_prefix = "/v1"
access_key_env = "KLING_ACCESS_KEY"
secret_key_env = "KLING_SECRET_KEY"

[poll]
interval = 5.0
max_interval = 60.0
bell = false
"""

FULL_ENV = {"KLING_API_KEY": TOKEN, "KLING_ACCESS_KEY": ACCESS, "KLING_SECRET_KEY": SECRET}


def write(tmp_path: Path, text: str, mode: int = 0o600, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def load(path: Path | None, env: dict[str, str] | None = None, **kw: str) -> AppConfig:
    return load_config(config_flag=path, env=env or {}, **kw)  # type: ignore[arg-type]


def error_for(path: Path | None, env: dict[str, str] | None = None, **kw: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load(path, env, **kw)
    return info.value


def assert_no_secret(text: str) -> None:
    for secret in ALL_SECRETS:
        assert secret not in text


# -- locations ------------------------------------------------------------------------------


def test_default_path_follows_xdg_config_home() -> None:
    expected = Path(os.environ["XDG_CONFIG_HOME"]) / "kling-tui" / "config.toml"
    assert config_path(None, {}) == expected


def test_config_path_flag_then_env_then_default(tmp_path: Path) -> None:
    flag, envp = tmp_path / "flag.toml", tmp_path / "env.toml"
    assert config_path(flag, {"KLING_TUI_CONFIG": str(envp)}) == flag
    assert config_path(str(flag), {}) == flag
    assert config_path(None, {"KLING_TUI_CONFIG": str(envp)}) == envp
    assert config_path(None, {"KLING_TUI_CONFIG": ""}).name == "config.toml"
    assert config_path("~/c.toml", {}) == Path.home() / "c.toml"


def test_missing_file_at_default_location_is_an_empty_config() -> None:
    config = load_config(env={})
    assert config.gateways == {}
    assert config.poll == PollConfig()
    assert config.theme == "kling-dark"
    assert config.path == config_path(None, {})
    with pytest.raises(ConfigError) as info:
        config.gateway()
    assert "--base-url" in str(info.value)


def test_env_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLING_API_KEY", TOKEN)
    config = load_config(base_url="https://relay.example")
    assert config.gateway().credential is not None
    assert config.gateway().credential.bearer().reveal() == TOKEN


@pytest.mark.parametrize("via", ["flag", "env"])
def test_missing_file_named_explicitly_is_an_error(tmp_path: Path, via: str) -> None:
    missing = tmp_path / "nope.toml"
    if via == "flag":
        err = error_for(missing)
        assert "--config" in str(err)
    else:
        with pytest.raises(ConfigError) as info:
            load_config(env={"KLING_TUI_CONFIG": str(missing)})
        err = info.value
        assert "KLING_TUI_CONFIG" in str(err)
    assert err.file == missing
    assert str(err).startswith(f"config {missing}: expected an existing file")


def test_directory_as_config_is_an_error(tmp_path: Path) -> None:
    err = error_for(tmp_path)
    assert err.file == tmp_path
    assert str(err) == (
        f"config {tmp_path}: expected a regular file (it is a directory, not a regular file)"
    )


# -- the file -------------------------------------------------------------------------------


def test_sample_file_loads(tmp_path: Path) -> None:
    path = write(tmp_path, SAMPLE, 0o644)  # no secret inside: any mode is fine
    config = load(path, FULL_ENV)
    assert config.path == path
    assert config.default_gateway == "relay"
    assert config.theme == "kling-dark"
    assert config.poll == PollConfig(interval=5.0, max_interval=60.0, bell=False)
    relay = config.gateway()
    assert relay.name == "relay"
    assert relay.base_url == "https://api.chainhub.tech"
    assert relay.origin == "https://api.chainhub.tech"
    assert relay.path_prefix == "/kling/v1"
    assert relay.timeout == 15.0 and relay.max_concurrency == 8
    assert isinstance(relay.credential, StaticToken)
    assert relay.credential.bearer().reveal() == TOKEN
    assert relay.credential_hint == "KLING_API_KEY"
    kling = config.gateway("kling")
    assert isinstance(kling.credential, JwtSigner)
    assert kling.credential_hint == "KLING_ACCESS_KEY/KLING_SECRET_KEY"
    assert kling.path_prefix == "/v1"
    assert kling.credential.bearer().reveal().count(".") == 2


def test_defaults_for_a_minimal_gateway(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[gateways.r]\nbase_url = "https://R.example:8443/"\n'
        '[gateways.n]\nbase_url = "https://n.example"\naccess_key_env = "AK"\n',
    )
    config = load(path, {"AK": ACCESS})
    r = config.gateway("r")
    assert config.default_gateway == "r"  # the first gateway when none is named
    assert r.base_url == "https://R.example:8443"
    assert r.origin == "https://r.example:8443"
    assert r.path_prefix == "/kling/v1"
    assert (r.timeout, r.connect_timeout, r.max_concurrency, r.max_retries) == (15.0, 5.0, 8, 3)
    n = config.gateway("n")
    assert n.path_prefix == "/v1"  # a JWT gateway is the native API
    assert n.credential is None  # KLING_SECRET_KEY is not set
    assert n.credential_hint == "AK/KLING_SECRET_KEY"


def test_missing_token_variable_is_not_a_load_error(tmp_path: Path) -> None:
    path = write(tmp_path, SAMPLE)
    config = load(path, {})
    assert config.gateway("relay").credential is None
    assert config.gateway("relay").credential_hint == "KLING_API_KEY"
    assert config.gateway("kling").credential is None
    assert config.gateway("kling").credential_hint == "KLING_ACCESS_KEY/KLING_SECRET_KEY"


def test_empty_env_variable_counts_as_unset(tmp_path: Path) -> None:
    path = write(tmp_path, SAMPLE)
    assert load(path, {"KLING_API_KEY": ""}).gateway().credential is None


def test_token_with_trailing_newline_is_stripped(tmp_path: Path) -> None:
    path = write(tmp_path, SAMPLE)
    cred = load(path, {"KLING_API_KEY": TOKEN + "\n"}).gateway().credential
    assert cred is not None and cred.bearer().reveal() == TOKEN


@pytest.mark.parametrize("bad", [TOKEN + "\nX", "sk-a " + TOKEN, TOKEN + "\x00", TOKEN + "é", " "])
def test_malformed_env_token_is_an_error_naming_the_variable(tmp_path: Path, bad: str) -> None:
    path = write(tmp_path, SAMPLE)
    err = error_for(path, {"KLING_API_KEY": bad})
    assert err.key == "KLING_API_KEY"
    assert str(err).startswith("environment variable: KLING_API_KEY: expected a token")
    assert_no_secret(str(err))
    assert_no_secret(repr(err))


def test_malformed_custom_env_variable_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, SAMPLE.replace('token_env = "KLING_API_KEY"', 'token_env = "MY_TOK"'))
    err = error_for(path, {"MY_TOK": "a b" + TOKEN})
    assert err.key == "MY_TOK"
    assert_no_secret(str(err))


def test_token_in_file_needs_mode_600(tmp_path: Path) -> None:
    text = f'[gateways.relay]\nbase_url = "https://relay.example"\ntoken = "{FILE_TOKEN}\\n"\n'
    path = write(tmp_path, text, 0o600)
    cred = load(path).gateway().credential
    assert cred is not None
    assert cred.bearer().reveal() == FILE_TOKEN  # stripped
    assert cred.hint == f"token in {path}"

    for mode in (0o644, 0o640, 0o604):
        path.chmod(mode)
        err = error_for(path)
        assert err.file == path
        assert err.key == "gateways.relay.token"
        assert f"chmod 600 {path}" in str(err)
        assert f"{mode:04o}" in str(err)
        assert_no_secret(str(err))


def test_keys_in_file_need_mode_600_too(tmp_path: Path) -> None:
    text = (
        '[gateways.kling]\nbase_url = "https://api.klingai.com"\n'
        f'access_key = "{ACCESS}"\nsecret_key = "{SECRET}"\n'
    )
    path = write(tmp_path, text, 0o644)
    err = error_for(path)
    assert err.key == "gateways.kling.access_key"
    assert "chmod 600" in str(err)
    path.chmod(0o600)
    cred = load(path).gateway().credential
    assert isinstance(cred, JwtSigner)
    assert cred.hint == f"access_key/secret_key in {path}"


def test_permission_is_checked_before_other_errors(tmp_path: Path) -> None:
    text = f'[gateways.relay]\nbase_url = "ftp://x"\ntoken = "{FILE_TOKEN}"\n'
    err = error_for(write(tmp_path, text, 0o644))
    assert "chmod 600" in str(err)


def test_malformed_token_in_file_is_an_error_naming_the_key(tmp_path: Path) -> None:
    text = f'[gateways.relay]\nbase_url = "https://relay.example"\ntoken = "{FILE_TOKEN} x"\n'
    path = write(tmp_path, text)
    err = error_for(path)
    assert err.key == "gateways.relay.token"
    assert str(err).startswith(f"config {path}: gateways.relay.token: expected a token")
    assert_no_secret(str(err))


# -- precedence -----------------------------------------------------------------------------


THREE = (
    'default_gateway = "a"\n'
    '[gateways.a]\nbase_url = "https://a.example"\n'
    '[gateways.b]\nbase_url = "https://b.example"\n'
    '[gateways.c]\nbase_url = "https://c.example"\n'
)


@pytest.mark.parametrize(
    ("env", "flag", "expected"),
    [
        ({}, None, "a"),
        ({"KLING_TUI_GATEWAY": "b"}, None, "b"),
        ({"KLING_TUI_GATEWAY": "b"}, "c", "c"),
        ({}, "c", "c"),
    ],
)
def test_gateway_selection_flag_over_env_over_file(
    tmp_path: Path, env: dict[str, str], flag: str | None, expected: str
) -> None:
    path = write(tmp_path, THREE)
    kw = {"gateway": flag} if flag else {}
    config = load(path, env, **kw)
    assert config.default_gateway == expected
    assert config.gateway().base_url == f"https://{expected}.example"


@pytest.mark.parametrize(
    ("env", "flag", "expected"),
    [
        ({}, None, "https://a.example"),
        ({"KLING_TUI_BASE_URL": "https://env.example"}, None, "https://env.example"),
        (
            {"KLING_TUI_BASE_URL": "https://env.example"},
            "https://flag.example",
            "https://flag.example",
        ),
    ],
)
def test_base_url_flag_over_env_over_file(
    tmp_path: Path, env: dict[str, str], flag: str | None, expected: str
) -> None:
    path = write(tmp_path, THREE)
    kw = {"base_url": flag} if flag else {}
    assert load(path, env, **kw).gateway().base_url == expected


def test_base_url_alone_without_a_file_makes_an_adhoc_gateway() -> None:
    config = load_config(env={"KLING_API_KEY": TOKEN}, base_url="http://127.0.0.1:8080/")
    gw = config.gateway()
    assert config.default_gateway == gw.name == "default"
    assert gw.base_url == "http://127.0.0.1:8080"
    assert gw.origin == "http://127.0.0.1:8080"
    assert gw.path_prefix == "/kling/v1"
    assert gw.credential is not None and gw.credential.bearer().reveal() == TOKEN
    custom = load_config(
        env={"KLING_API_KEY": TOKEN}, base_url="https://x.example", path_prefix="/v1/"
    )
    assert custom.gateway().path_prefix == "/v1"


def test_base_url_without_token_is_not_an_error() -> None:
    gw = load_config(env={}, base_url="https://x.example").gateway()
    assert gw.credential is None and gw.credential_hint == "KLING_API_KEY"


def test_adhoc_gateway_does_not_take_a_file_token_to_a_new_host(tmp_path: Path) -> None:
    text = f'[gateways.relay]\nbase_url = "https://relay.example"\ntoken = "{FILE_TOKEN}"\n'
    path = write(tmp_path, text)
    config = load(path, {"KLING_API_KEY": TOKEN}, base_url="https://elsewhere.example")
    assert set(config.gateways) == {"relay", "default"}
    gw = config.gateway()
    assert gw.name == "default" and gw.base_url == "https://elsewhere.example"
    assert gw.credential is not None and gw.credential.bearer().reveal() == TOKEN
    # the configured gateway is untouched
    assert config.gateway("relay").base_url == "https://relay.example"


def test_base_url_with_a_named_gateway_moves_that_gateway(tmp_path: Path) -> None:
    path = write(tmp_path, SAMPLE)
    config = load(path, FULL_ENV, gateway="kling", base_url="https://api-singapore.klingai.com")
    gw = config.gateway()
    assert config.default_gateway == "kling"
    assert gw.name == "kling"
    assert gw.base_url == "https://api-singapore.klingai.com"
    assert gw.path_prefix == "/v1"
    assert isinstance(gw.credential, JwtSigner)


def test_path_prefix_flag_changes_the_selected_gateway(tmp_path: Path) -> None:
    path = write(tmp_path, SAMPLE)
    config = load(path, FULL_ENV, path_prefix="/custom/v2")
    assert config.gateway().path_prefix == "/custom/v2"
    assert config.gateway("kling").path_prefix == "/v1"


def test_explicit_token_env_beats_file_token_which_beats_default_env(tmp_path: Path) -> None:
    explicit = (
        f'[gateways.relay]\nbase_url = "https://r.example"\ntoken_env = "MY_TOKEN"\n'
        f'token = "{FILE_TOKEN}"\n'
    )
    path = write(tmp_path, explicit)
    cred = load(path, {"MY_TOKEN": OTHER_TOKEN}).gateway().credential
    assert cred is not None and cred.bearer().reveal() == OTHER_TOKEN
    assert cred.hint == "MY_TOKEN"
    cred = load(path, {}).gateway().credential
    assert cred is not None and cred.bearer().reveal() == FILE_TOKEN

    implicit = f'[gateways.relay]\nbase_url = "https://r.example"\ntoken = "{FILE_TOKEN}"\n'
    path = write(tmp_path, implicit)
    cred = load(path, {"KLING_API_KEY": TOKEN}).gateway().credential
    assert cred is not None and cred.bearer().reveal() == FILE_TOKEN


# -- validation -----------------------------------------------------------------------------

GW = '[gateways.relay]\nbase_url = "https://relay.example"\n'


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        (GW + "base_ur = 'x'\n", "gateways.relay.base_ur", "did you mean 'base_url'"),
        (GW + "tokn_env = 'X'\n", "gateways.relay.tokn_env", "did you mean 'token_env'"),
        ('[gateways.relay]\npath_prefix = "/v1"\n', "gateways.relay.base_url", "http(s) URL"),
        (
            '[gateways.relay]\nbase_url = "ftp://x"\n',
            "gateways.relay.base_url",
            "an http(s) URL, got 'ftp:…' (7 characters)",
        ),
        ('[gateways.relay]\nbase_url = "relay.example"\n', "gateways.relay.base_url", "http(s)"),
        ("[gateways.relay]\nbase_url = 42\n", "gateways.relay.base_url", "http(s) URL, got 42"),
        (
            '[gateways.relay]\nbase_url = "https://relay.example/kling/v1"\n',
            "gateways.relay.base_url",
            "put '/kling/v1' in path_prefix",
        ),
        (
            '[gateways.relay]\nbase_url = "https://relay.example?x=1"\n',
            "gateways.relay.base_url",
            "query",
        ),
        (
            '[gateways.relay]\nbase_url = "https://relay.example:99999"\n',
            "gateways.relay.base_url",
            "port",
        ),
        (GW + 'path_prefix = "kling/v1"\n', "gateways.relay.path_prefix", "starting with '/'"),
        (GW + 'path_prefix = "/a/../b"\n', "gateways.relay.path_prefix", "starting with '/'"),
        (GW + "timeout = 0\n", "gateways.relay.timeout", "from 1 to 600 (seconds)"),
        (GW + 'timeout = "15"\n', "gateways.relay.timeout", "got '15'"),
        (GW + "connect_timeout = -1.0\n", "gateways.relay.connect_timeout", "from 1 to 600"),
        (GW + "max_concurrency = 0\n", "gateways.relay.max_concurrency", "from 1 to 64"),
        (GW + "max_retries = 1.5\n", "gateways.relay.max_retries", "whole number"),
        (GW + "concurrency_limit = 0\n", "gateways.relay.concurrency_limit", "from 1 to 1000"),
        (GW + "concurrency_limit = 1001\n", "gateways.relay.concurrency_limit", "1000"),
        (GW + "max_retries = true\n", "gateways.relay.max_retries", "whole number"),
        (GW + 'token_env = "KLING API"\n', "gateways.relay.token_env", "variable name"),
        (GW + 'token_env = "X"\naccess_key_env = "Y"\n', "gateways.relay", "not both"),
        (GW + "[poll]\ninterval = 0\n", "poll.interval", "from 1 to 3600 (seconds)"),
        (GW + "[view]\nhide_finished_after = -1\n", "view.hide_finished_after", "from 0 to"),
        (GW + "[view]\nhide_finished_after = 1e9\n", "view.hide_finished_after", "from 0 to"),
        (GW + "[view]\nhide_after = 5\n", "view.hide_after", "view."),
        (GW + "[poll]\ninterval = -5\n", "poll.interval", "from 1 to 3600 (seconds)"),
        (GW + '[poll]\ninterval = "5"\n', "poll.interval", "got '5'"),
        (GW + "[poll]\ninterval = true\n", "poll.interval", "a number"),
        (GW + "[poll]\ninterval = nan\n", "poll.interval", "a number"),
        (GW + "[poll]\ninterval = 10\nmax_interval = 5\n", "poll.max_interval", "poll.interval"),
        (GW + "[poll]\nbell = 1\n", "poll.bell", "true or false"),
        (GW + "[poll]\nintervall = 5\n", "poll.intervall", "did you mean 'interval'"),
        ("poll = 5\n", "poll", "a table"),
        ('default_gateway = "nope"\n' + GW, "default_gateway", "relay"),
        ('themes = "x"\n', "themes", "did you mean 'theme'"),
        ('theme = ""\n', "theme", "non-empty string"),
        ('[gateways]\nrelay = "https://x"\n', "gateways.relay", "a table"),
        ('[gateways."bad name"]\nbase_url = "https://x.example"\n', "gateways.bad name", "name"),
    ],
)
def test_validation_errors_name_file_key_and_expectation(
    tmp_path: Path, text: str, key: str, expected: str
) -> None:
    path = write(tmp_path, text)
    err = error_for(path)
    assert err.file == path
    assert err.key == key
    assert str(err).startswith(f"config {path}: {key}: expected ")
    assert expected in str(err)


def test_base_url_with_userinfo_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = write(tmp_path, '[gateways.relay]\nbase_url = "https://me:hunter2@relay.example"\n')
    err = error_for(path)
    assert err.key == "gateways.relay.base_url"
    assert "user:password" in str(err)
    assert "hunter2" not in str(err) and "hunter2" not in repr(err)


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, GW + "timeout 15\n")
    err = error_for(path)
    assert err.file == path and err.key is None and err.line == 3
    assert str(err).startswith(f"config {path}: expected valid TOML: ")
    assert "line 3" in str(err)


def test_bad_flags_and_env_values_name_their_source(tmp_path: Path) -> None:
    path = write(tmp_path, SAMPLE)
    err = error_for(path, FULL_ENV, gateway="nope")
    assert str(err).startswith("command line: --gateway: expected a configured gateway")
    assert "relay, kling" in str(err)
    err = error_for(path, {**FULL_ENV, "KLING_TUI_GATEWAY": "nope"})
    assert str(err).startswith("environment variable: KLING_TUI_GATEWAY: expected")
    err = error_for(path, FULL_ENV, base_url="ftp://x")
    assert str(err) == (
        "command line: --base-url: expected an http(s) URL, got 'ftp:…' (7 characters)"
    )
    err = error_for(path, {**FULL_ENV, "KLING_TUI_BASE_URL": "https://x/kling"})
    assert str(err).startswith("environment variable: KLING_TUI_BASE_URL: expected")
    err = error_for(path, FULL_ENV, path_prefix="v1")
    assert str(err).startswith("command line: --path-prefix: expected a path")


def test_unknown_gateway_lists_the_known_ones(tmp_path: Path) -> None:
    config = load(write(tmp_path, SAMPLE), FULL_ENV)
    with pytest.raises(ConfigError) as info:
        config.gateway("relya")
    assert info.value.key == "gateway"
    assert "kling, relay" in str(info.value) and "'rely…' (5 characters)" in str(info.value)


# -- secrets never printed ------------------------------------------------------------------


def test_no_secret_in_reprs_of_loaded_configs(tmp_path: Path) -> None:
    text = SAMPLE.replace(
        "[gateways.kling]",
        f'[gateways.filetok]\nbase_url = "https://f.example"\ntoken = "{FILE_TOKEN}"\n\n'
        "[gateways.kling]",
    )
    config = load(write(tmp_path, text), FULL_ENV, base_url="https://adhoc.example")
    jwt = config.gateway("kling").credential.bearer().reveal()  # type: ignore[union-attr]
    assert config.gateway("filetok").credential.bearer().reveal() == FILE_TOKEN  # type: ignore[union-attr]
    for rendering in (repr(config), str(config), f"{config}", repr(config.gateways)):
        assert_no_secret(rendering)
        assert jwt not in rendering


def test_no_secret_in_any_error(tmp_path: Path) -> None:
    """Every error path that sees a token: none may carry it into its message."""
    cases: list[tuple[str, dict[str, str], int]] = [
        (f'{GW}token = "{FILE_TOKEN}"\n', {}, 0o644),
        (f'{GW}token = "{FILE_TOKEN}\\u0000"\n', {}, 0o600),
        (f'{GW}token = "{FILE_TOKEN} {OTHER_TOKEN}"\n', {}, 0o600),
        (f'{GW}token = "{FILE_TOKEN}"\nbase_ur = "x"\n', {}, 0o600),
        (GW, {"KLING_API_KEY": f"{TOKEN}\n{OTHER_TOKEN}"}, 0o600),
        (
            '[gateways.k]\nbase_url = "https://k.example"\naccess_key_env = "KLING_ACCESS_KEY"\n',
            {"KLING_ACCESS_KEY": ACCESS, "KLING_SECRET_KEY": SECRET + "\t!"},
            0o600,
        ),
    ]
    for text, env, mode in cases:
        err = error_for(write(tmp_path, text, mode), env)
        assert_no_secret(str(err))
        assert_no_secret(repr(err))
        assert err.__cause__ is None and err.__context__ is None


# -- building configs directly --------------------------------------------------------------


def test_adhoc_gateway_method(tmp_path: Path) -> None:
    config = load(write(tmp_path, SAMPLE), FULL_ENV)
    fresh = config.adhoc_gateway("elsewhere", "https://e.example")
    assert fresh.path_prefix == "/kling/v1"
    assert fresh.credential is not None and fresh.credential.bearer().reveal() == TOKEN
    moved = config.adhoc_gateway("kling", "https://k2.example")
    assert moved.path_prefix == "/v1" and isinstance(moved.credential, JwtSigner)


def test_gateway_config_properties_without_validation() -> None:
    gw = GatewayConfig("x", "https://user@Host.Example:444", "", None, auth_hint="MY_VAR")
    assert gw.origin == "https://host.example:444"
    assert gw.credential_hint == "MY_VAR"


# -- remember_theme -------------------------------------------------------------------------


def test_remember_theme_keeps_comments_and_everything_else(tmp_path: Path) -> None:
    path = write(tmp_path, SAMPLE)
    before = tomllib.loads(SAMPLE)
    remember_theme(path, "kling-light")
    text = path.read_text()
    assert tomllib.loads(text) == {**before, "theme": "kling-light"}
    assert "# kling-tui settings" in text
    assert "# default when no other auth is given" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load(path, FULL_ENV).theme == "kling-light"


def test_remember_theme_inserts_a_missing_key_before_the_tables(tmp_path: Path) -> None:
    text = "# header\n\n# the relay\n" + GW
    path = write(tmp_path, text, 0o640)
    remember_theme(path, "nord")
    new = path.read_text()
    assert tomllib.loads(new)["theme"] == "nord"
    assert tomllib.loads(new)["gateways"]["relay"]["base_url"] == "https://relay.example"
    assert new.index('theme = "nord"') < new.index("# the relay") < new.index("[gateways")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # mode kept


def test_remember_theme_creates_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "config.toml"
    remember_theme(path, "kling-dark")
    assert tomllib.loads(path.read_text()) == {"theme": "kling-dark"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temp file left


def test_remember_theme_keeps_a_token_file_private_and_loadable(tmp_path: Path) -> None:
    path = write(tmp_path, f'{GW}token = "{FILE_TOKEN}"\n', 0o600)
    remember_theme(path, "kling-light")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config = load(path)
    assert config.theme == "kling-light"
    assert config.gateway().credential.bearer().reveal() == FILE_TOKEN  # type: ignore[union-attr]


def test_remember_theme_never_overwrites_a_broken_file(tmp_path: Path) -> None:
    path = write(tmp_path, GW + "timeout 15\n")
    before = path.read_bytes()
    with pytest.raises(ConfigError) as info:
        remember_theme(path, "nord")
    assert info.value.line == 3
    assert path.read_bytes() == before


def test_remember_theme_keeps_a_symlink(tmp_path: Path) -> None:
    real = write(tmp_path, SAMPLE, name="real.toml")
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    remember_theme(link, "nord")
    assert link.is_symlink()
    assert tomllib.loads(real.read_text())["theme"] == "nord"


def test_remember_theme_falls_back_to_a_rewrite_when_the_edit_would_be_wrong(
    tmp_path: Path,
) -> None:
    # A multi-line top-level string whose continuation looks like a table header.
    text = 'note = """\n[not a table]\ntheme = 1\n"""\n' + GW
    path = write(tmp_path, text)
    remember_theme(path, "nord")
    data = tomllib.loads(path.read_text())
    assert data == {**tomllib.loads(text), "theme": "nord"}


def test_remember_theme_refuses_a_bad_name(tmp_path: Path) -> None:
    path = write(tmp_path, SAMPLE)
    with pytest.raises(ConfigError):
        remember_theme(path, "bad\nname")
    assert path.read_text() == SAMPLE


def test_the_readme_config_example_loads(tmp_path: Path) -> None:
    """The README's config example is what a newcomer copies: it must stay valid."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in readme.split("```toml\n")[1:]]
    (example,) = [b for b in blocks if "[gateways." in b]
    path = tmp_path / "config.toml"
    path.write_text(example)
    config = load_config(
        config_flag=path,
        env={"KLING_API_KEY": "tok", "KLING_ACCESS_KEY": "ak", "KLING_SECRET_KEY": "sk"},
    )
    assert set(config.gateways) == {"relay", "kling"}
    assert config.default_gateway == "relay"
    assert config.gateways["kling"].path_prefix == "/v1"
    assert config.poll.interval == 5.0


def test_no_gateway_error_says_how_to_go_on(tmp_path: Path) -> None:
    """Issue 9: with no config it named a gateway 'default' the operator never typed."""
    import pickle

    from kling_tui.config import ADHOC_GATEWAY, AppConfig, NoGatewayError, load_config

    path = tmp_path / "nowhere" / "config.toml"
    config = AppConfig(gateways={}, default_gateway=ADHOC_GATEWAY, path=path)  # as loaded
    with pytest.raises(NoGatewayError) as exc:
        config.gateway()
    text = str(exc.value)
    assert "'default'" not in text
    assert f"no config file at {path}" in text
    assert "--base-url URL" in text and "$KLING_API_KEY" in text and "kling-tui --demo" in text
    assert str(pickle.loads(pickle.dumps(exc.value))) == text
    path.parent.mkdir()
    path.write_text("[poll]\ninterval = 5\n")
    with pytest.raises(NoGatewayError, match=r"has no \[gateways\.NAME\] table"):
        load_config(config_flag=path, env={}).gateway()
    # a name the operator typed is named (as far as it cannot be a secret: issue 10)
    with pytest.raises(ConfigError, match=r"'rela…' \(5 characters\)"):
        config.gateway("relay")


def test_concurrency_limit_is_read_and_absent_means_unknown(tmp_path: Path) -> None:
    config = load(write(tmp_path, GW + "concurrency_limit = 20\n"))
    assert config.gateways["relay"].concurrency_limit == 20
    assert load(write(tmp_path, GW)).gateways["relay"].concurrency_limit is None


def test_view_hide_finished_after_is_read_in_range(tmp_path: Path) -> None:
    from kling_tui.config import load_config

    path = write(tmp_path, GW + "[view]\nhide_finished_after = 3600\n")
    assert load_config(config_flag=str(path), env={}).view.hide_finished_after == 3600
