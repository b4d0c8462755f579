"""Hatchling metadata hook for the root pyproject.toml (dbguard-pre-commit).

Cargo.toml is the one place the version is written: maturin reads it for
the `dbguard-cli` wheel (python/pyproject.toml), and this hook reads it for
the pre-commit package, which pins `dbguard-cli` to exactly that version,
so a hook at `rev: vX.Y.Z` runs dbguard X.Y.Z.
"""

import re
from pathlib import Path

from hatchling.metadata.plugin.interface import MetadataHookInterface

# The distribution that holds the binary (python/pyproject.toml's name).
WHEEL = "dbguard-cli"


def cargo_version(root):
    """The [package] version of the Cargo.toml in `root`."""
    text = Path(root, "Cargo.toml").read_text(encoding="utf-8")
    package = text.split("[package]", 1)[1].split("\n[", 1)[0]
    match = re.search(r'^version\s*=\s*"([^"]+)"', package, re.MULTILINE)
    if match is None:
        raise ValueError("Cargo.toml: no version in [package]")
    return match.group(1)


class CustomMetadataHook(MetadataHookInterface):
    """Sets `version` and the `dbguard-cli==version` dependency."""

    def update(self, metadata):
        version = cargo_version(self.root)
        metadata["version"] = version
        metadata["dependencies"] = [f"{WHEEL}=={version}"]
