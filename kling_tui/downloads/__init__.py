"""Bringing finished results home: ``kling-tui download`` and the dashboard's ``D``.

No Textual here (pure core): :mod:`.names` (the file-name template, safe names),
:mod:`.plan` (which files of a task, where), :mod:`.transfer` (one file: ``NAME.part``,
``Range`` resume, size checks, sha256, atomic rename), :mod:`.manager` (``Downloader``:
bounded concurrency, a per-host limit, expired links re-queried once through the one
fetcher, results recorded through the one store). Import the submodules directly: this
package's ``__init__`` imports nothing, so the config can use :mod:`.names` cheaply.
"""
