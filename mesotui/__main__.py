"""Lets `python -m mesotui` behave exactly like the `mesotui` command."""

from mesotui.cli import main

raise SystemExit(main())
