"""kling-tui: a terminal dashboard for Kling video-generation tasks."""

__version__ = "0.1.0"
