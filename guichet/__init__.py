"""Guichet: the command line and the locations of the shared web assets."""
from importlib.metadata import PackageNotFoundError, version

try:
    # pyproject.toml is the one place the version is written; the CLI's --version
    # and the terminal's heartbeat read it from the installed package's metadata.
    __version__ = version("guichet")
except PackageNotFoundError:  # a source checkout run without `pip install -e .`
    __version__ = "0+unknown"
