"""mesotui: the record of dutasteride mesotherapy courses, kept in one local file."""

__version__ = "0.1.0"
"""The one place the version is written; pyproject.toml reads it from here (hatch)."""

__all__ = ["__version__"]
