"""First boot of an empty root is the install: layout, datastore1, vSwitch0, the root account, and the
guest OS's installer ISO on datastore1."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

from pyesx import certs
from pyesx.atomic import atomic_write
from pyesx.layout import HostLayout
from pyesx.passwords import generate_password, hash_password
from vmkernel.config import EsxConfig

ROOT_PASSWORD_ENV = "PYESX_ROOT_PASSWORD"
ISO_FOLDER = "iso"
INSTALLER_DATASTORE = "datastore1"


def is_installed(layout: HostLayout) -> bool:
    return layout.esx_conf.exists()


def install(layout: HostLayout, hostname: str, quiet: bool = False) -> str | None:
    """Create a new host under layout.root; return the generated root password, if one was generated.

    esx.conf is written last: a crash during install leaves a root that installs again. ``quiet``:
    the caller replaces root's account at once (a configuration reset), so no password is generated.
    """
    for directory in (layout.etc, layout.log, layout.volumes, layout.inventory.parent):
        directory.mkdir(parents=True, exist_ok=True)
    layout.run.mkdir(mode=0o700, parents=True, exist_ok=True)
    config = EsxConfig.default(hostname)
    for datastore in config.datastores:
        layout.datastore(datastore.name).mkdir(parents=True, exist_ok=True)
    password = os.environ.get(ROOT_PASSWORD_ENV)
    generated = None
    if not password:
        password = generate_password()
        generated = None if quiet else password
    shadow = {"users": {"root": {"password_hash": hash_password(password), "role": "Administrator"}}}
    atomic_write(layout.shadow, json.dumps(shadow, indent=2) + "\n", mode=0o600)
    config.save(layout)
    return generated


def ensure_certificates(layout: HostLayout, hostname: str, listen: str) -> bool:
    """The host CA and certificate under etc/ssl (at install, and on a root installed before TLS);
    True when they were made now."""
    return certs.ensure(certs.host_paths(layout.root), hostname, listen.rsplit(":", 1)[0])


def ensure_installer_iso(layout: HostLayout) -> Path | None:
    """Place the guest OS's installer ISO at ``[datastore1] iso/guest-installer.iso`` unless it is
    there (at install, and on a host installed before it shipped); None when datastore1 is gone."""
    from vmx.guestos.installer_iso import build_installer_iso
    from vmx.guestos.layout import INSTALLER_ISO_NAME

    datastore = layout.datastore(INSTALLER_DATASTORE)
    if not datastore.is_dir():
        return None
    target = datastore / ISO_FOLDER / INSTALLER_ISO_NAME
    if target.exists():
        return target
    target.parent.mkdir(exist_ok=True)
    image = io.BytesIO()
    build_installer_iso(image)
    atomic_write(target, image.getvalue())
    return target
