"""Theme files: discovery, validation with file+key errors, plain data out."""

from __future__ import annotations

from pathlib import Path

import pytest

from kling_tui import themes
from kling_tui.themes import (
    BADGE_STATUSES,
    BUNDLED_THEMES,
    THEME_COLOR_FIELDS,
    ThemeError,
    badge_variable,
    contrast_ratio,
    discover_themes,
    load_theme_file,
    parse_color,
    theme_from_dict,
)

REPO_THEMES = Path(__file__).resolve().parents[2] / "themes"


def write(directory: Path, name: str, body: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(body, encoding="utf-8")
    return path


def test_bundled_themes_are_found_and_complete() -> None:
    catalog = discover_themes(user_dir=None)
    assert catalog.errors == []
    for name in BUNDLED_THEMES:
        spec = catalog.themes[name]
        assert spec.bundled
        assert set(spec.badges) == set(BADGE_STATUSES)
        # every bundled file sets every colour and badge explicitly
        assert set(spec.colors) >= set(THEME_COLOR_FIELDS) - {"boost"}


def test_bundled_theme_files_define_every_badge_explicitly() -> None:
    import tomllib

    for name in BUNDLED_THEMES:
        data = tomllib.loads((REPO_THEMES / f"{name}.toml").read_text())
        assert set(data["badges"]) == set(BADGE_STATUSES), name
        assert data["name"] == name


def test_bundled_badges_are_readable() -> None:
    for spec in discover_themes(user_dir=None).themes.values():
        for status, badge in spec.badges.items():
            assert contrast_ratio(badge.background, badge.text) >= 4.5, (spec.name, status)


def test_light_theme_is_light_and_dark_is_dark() -> None:
    catalog = discover_themes(user_dir=None)
    assert catalog.themes["kling-dark"].dark is True
    assert catalog.themes["kling-light"].dark is False


def test_theme_kwargs_build_a_textual_theme() -> None:
    from textual.theme import Theme

    for spec in discover_themes(user_dir=None).themes.values():
        theme = Theme(**spec.theme_kwargs())
        generated = theme.to_color_system().generate()
        assert (
            theme.variables[badge_variable("in_progress")] == spec.badges["in_progress"].background
        )
        assert "badge-succeeded-text" in theme.variables
        assert generated["primary"]


def test_user_themes_come_from_the_config_dir(_isolated_home: Path) -> None:
    user_dir = themes.user_themes_dir()
    assert str(user_dir).startswith(str(_isolated_home))
    write(
        user_dir, "ocean.toml", '[colors]\nprimary = "#0af"\n[badges]\nfailed = "rgb(200, 0, 0)"\n'
    )
    catalog = discover_themes()
    spec = catalog.themes["ocean"]
    assert not spec.bundled
    assert spec.colors["primary"] == "#00aaff"
    assert spec.badges["failed"].background == "#c80000"
    assert spec.badges["failed"].text in ("#000000", "#ffffff")
    assert set(spec.badges) == set(BADGE_STATUSES)  # defaults fill the rest
    assert "kling-dark" in catalog.themes


def test_user_theme_may_replace_a_bundled_one(tmp_path: Path) -> None:
    write(tmp_path, "mine.toml", 'name = "kling-dark"\n[colors]\nprimary = "#123456"\n')
    catalog = discover_themes(user_dir=tmp_path)
    assert catalog.themes["kling-dark"].colors["primary"] == "#123456"
    assert not catalog.themes["kling-dark"].bundled


def test_broken_user_theme_is_reported_not_fatal(tmp_path: Path) -> None:
    write(tmp_path, "bad.toml", '[colors]\nprimary = "blue-ish"\n')
    write(tmp_path, "good.toml", '[colors]\nprimary = "#fff"\n')
    catalog = discover_themes(user_dir=tmp_path)
    assert "good" in catalog.themes and "bad" not in catalog.themes
    [error] = catalog.errors
    assert error.path == tmp_path / "bad.toml"
    assert error.key == "colors.primary"
    assert "bad.toml: colors.primary: 'blue-ish' is not a colour" in str(error)


def test_duplicate_names_in_one_directory(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", 'name = "same"\n[colors]\nprimary = "#fff"\n')
    write(tmp_path, "b.toml", 'name = "same"\n[colors]\nprimary = "#000"\n')
    catalog = discover_themes(bundled_dir=None, user_dir=tmp_path)
    assert list(catalog.themes) == ["same"]
    assert catalog.errors[0].key == "name" and "already defined" in catalog.errors[0].message


@pytest.mark.parametrize(
    ("body", "key", "fragment"),
    [
        ('colours = {}\n[colors]\nprimary = "#fff"', "colours", "unknown key"),
        ('[colors]\nprimary = "#fff"\nprimry = "#fff"', "colors.primry", "unknown key"),
        ('[colors]\nsecondary = "#fff"', "colors.primary", "missing"),
        ("[colors]\nprimary = 12", "colors.primary", "expected a colour string"),
        ('dark = "yes"\n[colors]\nprimary = "#fff"', "dark", "true or false"),
        ('name = "Bad Name"\n[colors]\nprimary = "#fff"', "name", "lower-case"),
        ('[colors]\nprimary = "#fff"\n[badges]\nrunning = "#fff"', "badges.running", "unknown key"),
        (
            '[colors]\nprimary = "#fff"\n[badges]\nfailed = "#ff000080"',
            "badges.failed",
            "transparency",
        ),
        (
            '[colors]\nprimary = "#fff"\n[badge_text]\nfailed = "red"',
            "badge_text.failed",
            "not a colour",
        ),
        (
            '[colors]\nprimary = "#fff"\n[variables]\nbadge-failed = "#fff"',
            "variables.badge-failed",
            "[badges]",
        ),
        (
            '[colors]\nprimary = "#fff"\n[variables]\nx-style = "blinky"',
            "variables.x-style",
            "text style",
        ),
        ('[colors]\nprimary = "#fff"\n[variables]\nBAD = "#fff"', "variables.BAD", "lower-case"),
        ('[colors]\nprimary = "rgb(300, 0, 0)"', "colors.primary", "outside 0-255"),
        ('[colors]\nprimary = "rgb(1, 2)"', "colors.primary", "takes 3 values"),
        ('colors = "x"', "colors", "expected a table"),
        ('luminosity_spread = 3\n[colors]\nprimary = "#fff"', "luminosity_spread", "outside"),
    ],
)
def test_invalid_theme_errors_name_file_and_key(
    tmp_path: Path, body: str, key: str, fragment: str
) -> None:
    path = write(tmp_path, "t.toml", body)
    with pytest.raises(ThemeError) as info:
        load_theme_file(path)
    assert info.value.key == key
    assert fragment in info.value.message
    assert str(path) in str(info.value)


def test_not_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "t.toml", "[colors\nprimary=")
    with pytest.raises(ThemeError, match="not valid TOML"):
        load_theme_file(path)


def test_not_utf8_and_too_large(tmp_path: Path) -> None:
    bad = tmp_path / "b.toml"
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(ThemeError, match="UTF-8"):
        load_theme_file(bad)
    big = write(tmp_path, "big.toml", "# " + "x" * (themes.MAX_THEME_FILE_BYTES + 1))
    with pytest.raises(ThemeError, match="too large"):
        load_theme_file(big)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("#ABC", "#aabbcc"),
        ("#aabbccff", "#aabbcc"),
        ("#aabbcc80", "#aabbcc80"),
        ("rgb(255, 0, 10)", "#ff000a"),
        ("rgba(0, 0, 0, 0.5)", "#00000080"),
        ("rgba(0, 0, 0, 1)", "#000000"),
        ("rgb(100%, 0%, 0%)", "#ff0000"),
    ],
)
def test_parse_color_normalises(value: str, expected: str) -> None:
    assert parse_color(value) == expected


def test_optional_fields_and_styles() -> None:
    spec = theme_from_dict(
        {
            "colors": {"primary": "#fff"},
            "luminosity_spread": 0.2,
            "text_alpha": 0.9,
            "variables": {
                "block-cursor-text-style": "bold  reverse",
                "footer-key-foreground": "#abc",
            },
        },
        default_name="x",
    )
    kwargs = spec.theme_kwargs()
    assert kwargs["luminosity_spread"] == 0.2 and kwargs["text_alpha"] == 0.9
    assert kwargs["variables"]["block-cursor-text-style"] == "bold reverse"
    assert kwargs["variables"]["footer-key-foreground"] == "#aabbcc"
    assert kwargs["dark"] is True and kwargs["name"] == "x"


def test_bundled_dir_prefers_packaged_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert themes.bundled_themes_dir() == REPO_THEMES
    packaged = tmp_path / "kling_tui"
    (packaged / "_bundled_themes").mkdir(parents=True)

    class FakeFiles:
        def __truediv__(self, name: str) -> Path:
            return packaged / name

    monkeypatch.setattr(themes.resources, "files", lambda _pkg: FakeFiles())
    assert themes.bundled_themes_dir() == packaged / "_bundled_themes"
