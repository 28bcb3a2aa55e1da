"""The password policy: ESXi's ``Security.PasswordQualityControl`` (pam_passwdqc's syntax).

``min=N0,N1,N2,N3,N4`` gives the minimum length of a password made of one, two, three or four
character classes (lower case, upper case, digits, others); N2 (passphrases) is accepted and
not enforced. ``disabled`` forbids passwords of that many classes. ESXi's
default, ``min=disabled,disabled,disabled,7,7``, asks for three classes and seven characters.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyesx import faults

MAX_PASSWORD = 128  # ESXi caps passwords too; this also bounds the cost of hashing
DISABLED = 1 << 30


@dataclass(frozen=True)
class PasswordPolicy:
    #: minimum length for 1, 2, 3 and 4 character classes (DISABLED: not allowed)
    minimums: tuple[int, int, int, int]

    @classmethod
    def parse(cls, text: str) -> PasswordPolicy:
        """The policy from ``retry=3 min=…`` (unknown options are ignored, as passwdqc's are not)."""
        for option in text.split():
            name, _, value = option.partition("=")
            if name != "min":
                continue
            parts = value.split(",")
            if len(parts) != 5:
                raise faults.InvalidArgument("Security.PasswordQualityControl", "min= takes 5 values")
            try:
                n = [DISABLED if p == "disabled" else int(p) for p in parts]
            except ValueError:
                raise faults.InvalidArgument(
                    "Security.PasswordQualityControl", f"min={value[:40]}: values are numbers or 'disabled'"
                ) from None
            if any(x < 1 or (x > MAX_PASSWORD and x != DISABLED) for x in n):
                raise faults.InvalidArgument("Security.PasswordQualityControl", "minimums are 1..128")
            return cls((n[0], n[1], n[3], n[4]))
        return cls((DISABLED, DISABLED, 7, 7))

    def check(self, password: str, user: str = "") -> None:
        """InvalidArgument(password, why) unless the password is acceptable (and does not hold the
        user's name, as passwdqc also refuses)."""
        if len(password) > MAX_PASSWORD:
            raise faults.InvalidArgument("password", f"a password has at most {MAX_PASSWORD} characters")
        if len(user) >= 3 and user.lower() in password.lower():
            raise faults.InvalidArgument("password", "the password must not contain the user name")
        classes = classes_of(password)
        needed = self.minimums[classes - 1] if classes else DISABLED
        if len(password) < needed:
            raise faults.InvalidArgument("password", self.describe(classes))

    def describe(self, classes: int) -> str:
        allowed = [
            f"{n}+ characters of {c} class{'es' if c > 1 else ''}"
            for c, n in enumerate(self.minimums, 1)
            if n != DISABLED
        ]
        return (
            f"the password is too weak ({classes} character class{'es' if classes != 1 else ''}); "
            f"it needs {' or '.join(allowed) or 'nothing: every password is refused'} "
            "(classes: lower case, upper case, digits, other characters)"
        )


def classes_of(password: str) -> int:
    """How many of the four character classes the password uses."""
    return sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
