"""The host's certificate and how this shell trusts it: Get-/Set-PowerCLIConfiguration
(-InvalidCertificateAction), Get-VIMachineCertificate and New-VIMachineCertificate (regenerate)."""

from __future__ import annotations

from collections.abc import Iterator

from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.conversions import STRING
from clients.shell.errors import ShellError
from clients.shell.powercli_config import (
    ACTIONS,
    SCOPES,
    canonical_action,
    load_user_action,
    save_user_action,
)
from clients.shell.psobject import PSObject

CONFIG_TYPE = "VMware.VimAutomation.ViCore.Impl.V1.PowerCLIConfigurationImpl"
CERTIFICATE_TYPE = "pyesx.VIMachineCertificate"


def _config(scope: str, action: str) -> PSObject:
    return PSObject(CONFIG_TYPE, [("Scope", scope), ("InvalidCertificateAction", action)], label=scope)


class GetPowerCLIConfiguration(Cmdlet):
    """Get-PowerCLIConfiguration [-Scope Session|User]"""

    name = "Get-PowerCLIConfiguration"
    synopsis = "Shows the InvalidCertificateAction of the session and of the user's configuration."
    examples = (("Get-PowerCLIConfiguration", "The Session and User scopes' InvalidCertificateAction."),)
    parameters = (Parameter("Scope", STRING),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        wanted = args.string("Scope", "").lower()
        if wanted in ("", "session"):
            yield _config("Session", self.ctx.session.invalid_certificate_action)
        if wanted in ("", "user"):
            yield _config("User", load_user_action())


class SetPowerCLIConfiguration(Cmdlet):
    """Set-PowerCLIConfiguration -InvalidCertificateAction Fail|Warn|Ignore|Prompt|Unset [-Scope Session|User]

    Unset (the default) trusts a host's certificate on first use and refuses it once it changes;
    Fail refuses any certificate not trusted already; Warn and Ignore connect anyway (Warn says so);
    Prompt asks in an interactive shell. -Scope User also saves it for every new shell."""

    name = "Set-PowerCLIConfiguration"
    synopsis = "Sets what Connect-VIServer does with an unknown or changed host certificate."
    target_parameter = "Scope"
    examples = (
        (
            "Set-PowerCLIConfiguration -InvalidCertificateAction Ignore -Confirm:$false",
            "Connects to hosts whatever certificate they present (this session).",
        ),
        (
            "Set-PowerCLIConfiguration -InvalidCertificateAction Fail -Scope User -Confirm:$false",
            "Refuses hosts whose certificate is not trusted yet, in every new shell too.",
        ),
    )
    parameters = (
        Parameter("InvalidCertificateAction", STRING, mandatory=True),
        Parameter("Scope", STRING),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        action = canonical_action(args.string("InvalidCertificateAction"))
        if action is None:
            raise ShellError(
                f"Cannot validate argument on parameter 'InvalidCertificateAction'. "
                f"The argument does not belong to the set {', '.join(ACTIONS)}."
            )
        scope = next((s for s in SCOPES if s.lower() == args.string("Scope", "Session").lower()), None)
        if scope is None:
            raise ShellError(
                f"Cannot validate argument on parameter 'Scope'. Use one of {', '.join(SCOPES)}."
            )
        self.ctx.session.invalid_certificate_action = action
        if scope == "User":
            save_user_action(action)
        yield _config(scope, action)


def _certificate(cert: object) -> PSObject:
    return PSObject(
        CERTIFICATE_TYPE,
        [
            ("Thumbprint", getattr(cert, "thumbprint", "")),
            ("Subject", getattr(cert, "subject", "")),
            ("Issuer", getattr(cert, "issuer", "")),
            ("NotValidAfter", getattr(cert, "not_after", None)),
        ],
        base=cert,
        label=getattr(cert, "thumbprint", ""),
    )


class GetVIMachineCertificate(Cmdlet):
    """Get-VIMachineCertificate"""

    name = "Get-VIMachineCertificate"
    synopsis = "Gets the host's TLS certificate: SHA-256 thumbprint, subject, issuer (the host CA), expiry."
    examples = (("Get-VIMachineCertificate | Select-Object Thumbprint", "The thumbprint clients pin."),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        yield _certificate(self.ctx.client().certificate())


class NewVIMachineCertificate(Cmdlet):
    """New-VIMachineCertificate [-Confirm]

    hostd serves the new certificate to every new connection at once. Clients that pinned the old
    thumbprint (this shell too) refuse the host until told to trust the new one
    (Connect-VIServer -Force, or the SDK's thumbprint=)."""

    name = "New-VIMachineCertificate"
    synopsis = "Regenerates the host's TLS certificate (a new key, signed by the host CA)."
    confirm_impact = "High"
    examples = (
        (
            "New-VIMachineCertificate -Confirm:$false | Select-Object Thumbprint",
            "A new certificate; its thumbprint is the one to trust from now on.",
        ),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        yield _certificate(self.ctx.client().regenerate_certificate())


CMDLETS: tuple[type[Cmdlet], ...] = (
    GetPowerCLIConfiguration,
    SetPowerCLIConfiguration,
    GetVIMachineCertificate,
    NewVIMachineCertificate,
)
