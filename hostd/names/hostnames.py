"""Host and domain name rules (RFC 1123): letters, digits and hyphens; labels of 1-63 characters
that neither start nor end with a hyphen; at most 253 characters in all."""

from __future__ import annotations

import re

from pyesx.faults import InvalidArgument

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
MAX_NAME = 253


def check_host_name(name: str, argument: str = "hostName") -> str:
    """A host name: one label (the domain goes in domainName). InvalidArgument otherwise."""
    if not isinstance(name, str) or not name:
        raise InvalidArgument(argument, "must not be empty")
    if not _LABEL.match(name):
        raise InvalidArgument(
            argument,
            f"'{name}' is not a valid host name: 1-63 letters, digits or hyphens, "
            "not starting or ending with a hyphen",
        )
    return name


def check_domain_name(name: str, argument: str = "domainName") -> str:
    """A DNS name of one or more labels (a trailing dot is allowed). InvalidArgument otherwise."""
    if not isinstance(name, str) or not name:
        raise InvalidArgument(argument, "must not be empty")
    bare = name[:-1] if name.endswith(".") else name
    if len(bare) > MAX_NAME or not bare or not all(_LABEL.match(label) for label in bare.split(".")):
        raise InvalidArgument(
            argument,
            f"'{name}' is not a valid DNS name: dot-separated labels of 1-63 letters, digits or "
            "hyphens, at most 253 characters",
        )
    if bare.replace(".", "").isdigit():
        raise InvalidArgument(argument, f"'{name}' is not a valid DNS name: all-numeric")
    return name
