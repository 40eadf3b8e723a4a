"""mesotui: the record of dutasteride mesotherapy courses, kept in one local file."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mesotui")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
