"""The one place the dashboard starts a web browser.

``App.open_url`` would call ``webbrowser.open`` on the event loop (blocking it while the
browser command runs) and, under ``run_test()``, really launch a browser. The app calls
this function instead, from a thread worker, and tests replace it (constructor argument
``open_browser=`` or by patching ``kling_tui.ui.browser.open_in_browser``).
"""

from __future__ import annotations

import webbrowser


def open_in_browser(url: str) -> bool:
    """Open ``url`` (already checked by ``urls.check_open_url``) in a new browser tab.

    Returns False when no browser could be started; may raise ``webbrowser.Error`` or
    ``ValueError`` (patched Pythons reject some arguments), which the caller reports.
    """
    return webbrowser.open(url, new=2)
