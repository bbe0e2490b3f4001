"""What a loaded configuration is: :class:`GatewayConfig`, :class:`PollConfig`,
:class:`AppConfig`, and the accepted range of every numeric setting.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from kling_tui.config.errors import ConfigError, NoGatewayError
from kling_tui.config.names import ACCESS_TOKEN_ENV, DEFAULT_THEME, RELAY_PREFIX, TOKEN_ENV
from kling_tui.gateway.auth import Credential

# Every numeric setting and its accepted range (inclusive), checked at load. Documented in
# README.md ("Configuration"); poll.max_interval must also be at least poll.interval.
INTERVAL_RANGE = (1.0, 3600.0)
"""poll.interval, poll.max_interval (seconds): faster than 1 s only hammers the gateway."""
TIMEOUT_RANGE = (1.0, 600.0)
"""gateways.*.timeout and connect_timeout (seconds)."""
CONCURRENCY_RANGE = (1, 64)
"""gateways.*.max_concurrency (requests in flight per gateway)."""
SLOTS_RANGE = (1, 1000)
"""gateways.*.concurrency_limit (the account's task slots: tasks submitted or processing)."""
RETRIES_RANGE = (0, 10)
"""gateways.*.max_retries (retries of one query; each backs off up to 4 s)."""
USER_ID_RANGE = (1, 2**31 - 1)
"""gateways.*.user_id: a new-api user id (the ``New-Api-User`` header of the task log)."""
DOWNLOAD_MAX_BYTES_RANGE = (1024 * 1024, 2**40)
"""download.max_bytes: the largest file one download accepts, 1 MiB to 1 TiB."""
DOWNLOAD_JOBS_RANGE = (1, 16)
"""download.jobs (files downloaded at once) and download.per_host (at once from one host)."""
DEFAULT_MAX_BYTES = 2 * 1024**3
"""download.max_bytes's default: 2 GiB (a 10 s 1080p video is some 20 MB)."""
DOWNLOAD_DIR_NAME = "kling-videos"
"""The folder (under the working directory) when the platform has no Videos or Downloads."""
NOTIFY_TIMEOUT_RANGE = (1.0, 300.0)
"""notify.timeout (seconds a notify command may run before it is stopped)."""
NOTIFY_ARGS_RANGE = (1, 32)
"""notify.command: how many argv items (each at most NOTIFY_ARG_CHARS characters)."""
NOTIFY_ARG_CHARS = 4096
HIDE_AFTER_RANGE = (0.0, 30 * 86400.0)
"""view.hide_finished_after (seconds): how long a succeeded task stays shown under ``h``."""


@dataclass(frozen=True)
class GatewayConfig:
    """One gateway: where it is, how to authenticate, how hard to push it.

    ``credential`` is ``None`` when the token's variable is not set: that is not a load error
    (``ls`` or ``rm`` need no token); the fetcher reports "no token: set <credential_hint>".
    ``auth_hint`` is the source to name in that case (the variable(s) that would hold it).
    Constructing one directly does no validation: :func:`load_config` validates file input.
    """

    name: str
    base_url: str
    path_prefix: str
    credential: Credential | None
    timeout: float = 15.0
    connect_timeout: float = 5.0
    max_concurrency: int = 8
    max_retries: int = 3
    concurrency_limit: int | None = None
    """The account's task slots (Kling's concurrency), for the capacity gauge; None: learned
    from a 1303 answer, or unknown."""
    auth_hint: str = TOKEN_ENV
    task_log: bool = False
    """A new-api relay whose user task log (``/api/task/self``) ``import`` reads."""
    task_log_token: Credential | None = None
    """The user's access token for the task log (not the API key); None when not set."""
    task_log_hint: str = ACCESS_TOKEN_ENV
    """Where that token comes from (a variable name or ``access_token in FILE``)."""
    user_id: int | None = None
    """The relay user id sent as ``New-Api-User`` (current new-api versions ask for it)."""
    list_refresh: bool | None = None
    """``list_refresh`` in the file: None (not set) lets list-based refresh run on a native
    gateway (prefix ``/v1``); False turns it off; relays never list (``gateway.listing``)."""
    external_id: str = "path"
    """Where a task watched by its external id (``add --external``) puts that id: ``path``
    (``…/text2video/ID``, in place of the task id: what Kling's documentation describes and
    most clients do) or ``query`` (``…/text2video?external_task_id=ID``)."""

    @property
    def origin(self) -> str:
        """``scheme://host[:port]``: what messages show. Never a path or userinfo."""
        parts = urlsplit(self.base_url)
        host = parts.netloc.rpartition("@")[2]
        return f"{parts.scheme.lower()}://{host.lower()}"

    @property
    def credential_hint(self) -> str:
        """Where the operator should look when authentication fails or no token is set."""
        return self.credential.hint if self.credential is not None else self.auth_hint


@dataclass(frozen=True)
class PollConfig:
    """How often unfinished tasks are polled (the poller backs off up to ``max_interval``)."""

    interval: float = 5.0
    max_interval: float = 60.0
    bell: bool = False


@dataclass(frozen=True)
class DownloadConfig:
    """``[download]``: where results go and how hard downloads push (README, "Downloads").

    ``dir`` None: :meth:`folder` picks the user's Videos folder, else Downloads, else
    ``./kling-videos``. ``name`` is checked by ``downloads.names.check_template`` at load.
    ``auto``: the dashboard downloads every task as it succeeds.
    """

    dir: Path | None = None
    name: str = "{label}-{task_id}-{n}.{ext}"
    max_bytes: int = DEFAULT_MAX_BYTES
    jobs: int = 3
    per_host: int = 3
    auto: bool = False

    def folder(self) -> Path:
        """The folder files go to: ``dir``, or the platform's Videos / Downloads folder
        when it exists, or ``./kling-videos``."""
        if self.dir is not None:
            return self.dir
        import platformdirs

        for find in (platformdirs.user_videos_path, platformdirs.user_downloads_path):
            try:
                found = find()
            except Exception:  # a platform without the notion: next one
                continue
            if found.is_dir():
                return found / "kling-tui"
        return Path.cwd() / DOWNLOAD_DIR_NAME


@dataclass(frozen=True)
class NotifyConfig:
    """``[notify]``: a command run for each finished task (argv, task fields in its
    environment: ``kling_tui.notify``) and terminal notifications (OSC 9 / 777)."""

    command: tuple[str, ...] = ()
    timeout: float = 10.0
    terminal: bool = False


@dataclass
class ViewConfig:
    """The dashboard's view settings. ``hide_finished_after``: with ``h`` on, a succeeded
    task is hidden once it finished this many seconds ago (0: at once)."""

    hide_finished_after: float = 0.0


@dataclass
class AppConfig:
    """Everything loaded. ``path`` is the config file (possibly not yet existing, at the
    default location) so the theme choice can be remembered; ``None`` for built configs.

    ``adhoc_credential`` is the ``KLING_API_KEY`` token (or ``None``), used for gateways made
    from a bare base URL: see :meth:`adhoc_gateway`. ``theme`` ``None`` means the app default.
    """

    gateways: dict[str, GatewayConfig]
    default_gateway: str
    poll: PollConfig = field(default_factory=PollConfig)
    theme: str | None = DEFAULT_THEME
    path: Path | None = None
    adhoc_credential: Credential | None = None
    download: DownloadConfig = field(default_factory=DownloadConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    keys: dict[str, str] = field(default_factory=dict)
    """``[keys]``: binding id -> keys in Textual's long form (``config.keymap``), entries in
    the grammar only; the app drops unknown ids and collisions at start."""
    key_problems: tuple[str, ...] = ()
    """One message per ``[keys]`` entry left out at load (``keys.ID: …``), shown at start."""
    view: ViewConfig = field(default_factory=ViewConfig)

    def gateway(self, name: str | None = None) -> GatewayConfig:
        """The named gateway, or the default one; unknown names list the known ones."""
        wanted = self.default_gateway if name is None else name
        found = self.gateways.get(wanted)
        if found is not None:
            return found
        if not self.gateways:
            if name is None:
                raise NoGatewayError(self.path)
            expected = (
                "a configured gateway; none is: pass --base-url URL (token in "
                f"{TOKEN_ENV}) or add a [gateways.NAME] table"
                + (f" to {self.path}" if self.path else "")
            )
        else:
            expected = "one of: " + ", ".join(sorted(self.gateways))
        raise ConfigError(self.path, "gateway", expected, wanted)

    def adhoc_gateway(
        self, name: str, base_url: str, path_prefix: str | None = None
    ) -> GatewayConfig:
        """A gateway at an explicit base URL (``--base-url``, or a watch entry that kept one).

        A configured gateway of that ``name`` keeps its credential and limits and only moves to
        ``base_url`` (and ``path_prefix`` when given): the operator named it. Any other name
        gets ``KLING_API_KEY`` (:attr:`adhoc_credential`) and the relay prefix: a credential
        configured for one gateway is never sent to another host implicitly.
        """
        known = self.gateways.get(name)
        if known is not None:
            return replace(known, base_url=base_url, path_prefix=path_prefix or known.path_prefix)
        return GatewayConfig(
            name=name,
            base_url=base_url,
            path_prefix=path_prefix or RELAY_PREFIX,
            credential=self.adhoc_credential,
            auth_hint=TOKEN_ENV,
        )
