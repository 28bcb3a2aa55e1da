"""The authorization hook of hostd's RPC gate: the caller must hold, on the entity the request
acts on, every privilege ``hostd.callprivileges.RULES`` names for the method."""

from __future__ import annotations

from typing import Any

from hostd.authz import Authorization
from hostd.callprivileges import RULES, Rule
from hostd.sessions import current_user
from pyesx import faults


class CallAuthorizer:
    def __init__(self, authz: Authorization, rules: dict[str, Rule] = RULES) -> None:
        self.authz, self.rules = authz, rules

    def __call__(self, method: str, request: Any) -> None:
        rule = self.rules.get(method)
        if rule is None:  # fail closed: a method nobody mapped is nobody's
            raise faults.NoPermission("(unmapped)", method, f"{method} has no privilege rule: refused.")
        if rule.public or rule.privileges is None:
            return
        privileges = rule.privileges(request) if callable(rule.privileges) else rule.privileges
        if privileges:
            entity, user = rule.entity(request), current_user()
            for privilege in privileges:
                self.authz.check(user, privilege, entity)
