"""From parsed arguments to what a command works on: config, gateways, tokens, the watch
list, task ids, and a poller. Shared by the commands; nothing here prints."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable, Sequence
from typing import TextIO

from kling_tui.cli.errors import UsageError
from kling_tui.config import ADHOC_GATEWAY, AppConfig, GatewayConfig, load_config
from kling_tui.gateway.ids import InvalidTaskId, split_ids, validate_task_id
from kling_tui.store.watchlist import WatchList, watchlist_path


def _opt(args: argparse.Namespace, name: str) -> str | None:
    return getattr(args, name, None)


def _load_config(args: argparse.Namespace) -> AppConfig:
    return load_config(
        config_flag=_opt(args, "config"),
        env=os.environ,
        gateway=_opt(args, "gateway"),
        base_url=_opt(args, "base_url"),
        path_prefix=_opt(args, "path_prefix"),
    )


def _selected_gateway(args: argparse.Namespace, config: AppConfig) -> GatewayConfig:
    return config.gateway(_opt(args, "gateway") if not _opt(args, "base_url") else None)


def _require_tokens(config: AppConfig, gateways: Iterable[GatewayConfig]) -> None:
    """A gateway without its token is a configuration error (exit 2), found before any
    query: every query would fail the same way, and a script should tell it from a failed
    task (exit 1)."""
    for gw in gateways:
        if gw.credential is not None:
            continue
        text = f"no token for {gw.origin}: set {gw.auth_hint}"
        if gw.name == ADHOC_GATEWAY:
            text += f" (export {gw.auth_hint}=...)" if "/" not in gw.auth_hint else ""
        else:
            where = f" in {config.path}" if config.path else ""
            text += (
                f" (gateway {gw.name!r}{where}: token_env / access_key_env name the"
                " variables, or put the token in the file and chmod 600 it)"
            )
        raise UsageError(text)


def _store(args: argparse.Namespace) -> WatchList:
    store = WatchList(watchlist_path(_opt(args, "watchlist"), os.environ))
    store.load()
    return store


def _read_ids(raw: Sequence[str], stdin: TextIO) -> list[str]:
    """Ids from the arguments; ``-`` reads more from stdin (whitespace or comma separated)."""
    out: list[str] = []
    for item in raw:
        out.extend(split_ids(stdin.read()) if item == "-" else split_ids(item))
    return out


def _validated(ids: Iterable[str], *, nothing_done: str = "") -> list[str]:
    """All ids valid, or none taken: one bad id among many rejects the lot, and the message
    says so (``nothing_done``, e.g. "nothing was added") and counts them."""
    good, bad = [], []
    for raw in ids:
        try:
            good.append(validate_task_id(raw))
        except InvalidTaskId as exc:
            bad.append(str(exc))
    if bad:
        total = len(good) + len(bad)
        verb = "is" if len(bad) == 1 else "are"
        lead = f"{nothing_done}: " if nothing_done else ""
        raise UsageError(
            f"{lead}{len(bad)} of {total} id{'s' if total != 1 else ''} {verb} invalid: "
            + "; ".join(bad)
        )
    return good


def _policy(config: AppConfig):  # -> PollPolicy
    from kling_tui.polling.schedule import PollPolicy

    return PollPolicy(interval=config.poll.interval, max_interval=config.poll.max_interval)


def _limits(config: AppConfig) -> dict[str, int]:
    return {name: gw.max_concurrency for name, gw in config.gateways.items()}


def _make_poller(args: argparse.Namespace, config: AppConfig, store: WatchList, **kw):
    from kling_tui.gateway.fetcher import Fetcher
    from kling_tui.polling.poller import Poller

    fetcher = Fetcher(config)
    poller = Poller(
        store,
        fetcher,
        _policy(config),
        per_gateway_limit=_limits(config),
        entries=store.entries,
        **kw,
    )
    return poller, fetcher
