"""The one TOML parser: tomllib from Python 3.11, its PyPI original tomli on 3.10.

Written once here so that the config, front matter, book sidecars and lexicons all read TOML
alike; they import `tomllib` from this module.
"""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib

__all__ = ["tomllib"]
