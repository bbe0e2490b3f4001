"""Fakes and fixtures shared by several test suites.

A suite imports shared helpers from here, never from another suite (``tests.pilot``,
``tests.http`` ...), so each suite can be moved or run alone.
"""
