"""What a review's CI should ``pip install`` to get the crm that is running here.

Read from the installed distribution's metadata: PEP 610's ``direct_url.json`` says where pip took it
from. A release from an index has none (``crm-review==VERSION``); a git URL or a remote archive can be
reached from CI as they are; a local folder, an editable checkout or a local file cannot, and then the
team must say what CI installs (``crm init --install``).
"""

from __future__ import annotations

import json
from importlib import metadata
from urllib.parse import urlsplit, urlunsplit

from crm_review import __version__
from crm_review.errors import InstallUnknown

DISTRIBUTION = "crm-review"
EXAMPLE = f'"crm-review @ git+https://github.com/YOUR-ORG/crm-review@v{__version__}"'


def detected_spec() -> str:
    """The pip requirement CI should install, or :class:`InstallUnknown` saying why it cannot be told."""
    try:
        distribution = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise InstallUnknown(
            "crm-review runs from its source folder, not as an installed package, so CI cannot install what runs here",
            EXAMPLE,
        ) from None
    return spec_from(distribution.version, distribution.read_text("direct_url.json"))


def spec_from(version: str, direct_url: str | None) -> str:
    """The requirement for a distribution of ``version`` installed from ``direct_url`` (PEP 610 JSON)."""
    if direct_url is None:  # installed from an index: the release of the same version
        return f"{DISTRIBUTION}=={version}"
    origin = json.loads(direct_url)
    url = _without_credentials(str(origin.get("url", "")))
    subdirectory = origin.get("subdirectory")
    fragment = f"#subdirectory={subdirectory}" if subdirectory else ""
    local = url.startswith("file:")
    if "vcs_info" in origin and not local:
        vcs = origin["vcs_info"]
        return f"{DISTRIBUTION} @ {vcs.get('vcs', 'git')}+{url}@{vcs['commit_id']}{fragment}"
    if "archive_info" in origin and not local:
        return f"{DISTRIBUTION} @ {url}{fragment}"
    editable = bool(origin.get("dir_info", {}).get("editable"))
    where = url.removeprefix("file://")
    if editable:
        kind = "an editable checkout"
    elif "vcs_info" in origin:
        kind = "a local git repository"
    else:
        kind = "a local folder" if "dir_info" in origin else "a local file"
    raise InstallUnknown(f"crm-review was installed from {kind} ({where}), which CI cannot reach", EXAMPLE)


def _without_credentials(url: str) -> str:
    """Drop a user and password from a URL, as PEP 610 asks, unless it is ``git@`` or an ``${ENV}`` reference."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    userinfo, host = parts.netloc.rsplit("@", 1)
    if userinfo == "git" or (userinfo.startswith("${") and userinfo.endswith("}")):
        return url
    return urlunsplit(parts._replace(netloc=host))
