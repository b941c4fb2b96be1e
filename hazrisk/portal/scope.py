"""Who sees what in the portal: pages per role, rows per scope, masking per role.

Every frame the portal shows passes through :func:`restrict` (rows of other parties removed)
and :func:`mask` (plates and personal data of parties outside the viewer's scope masked), in
the data layer, so a page cannot show what the role may not see whatever a URL parameter or a
widget asks for: a request for a party outside the scope raises :class:`NotAuthorised`.

The published snapshot already masks names, phone and ID numbers (``mart.mask_*``); the
portal additionally masks plates, VINs and terminal numbers outside the viewer's own
enterprises or provider, and drops personal columns altogether for the public and insurers.
Only an enterprise sees personal data in clear, its own (``Viewer.unmasked``), read from the
restricted publication by :mod:`hazrisk.portal.personal`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from hazrisk.portal.users import PUBLIC, User
from hazrisk.store.publish import mask_pii

#: Page keys in navigation order with their titles (Chinese / English).
PAGES: dict[str, tuple[str, str]] = {
    "public": ("信息公示", "Public disclosure"),
    "providers": ("平台服务商评价", "Platform providers"),
    "devices": ("设备厂商", "Device makers"),
    "enterprises": ("企业安全档案", "Enterprise safety"),
    "insurance": ("保险", "Insurance / premium"),
    "quality": ("数据质量", "Data quality"),
    "reports": ("报告", "Reports"),
}

#: Pages each role may open (the navigation shows only these; others are never registered).
ROLE_PAGES: dict[str, tuple[str, ...]] = {
    PUBLIC: ("public",),
    "evaluator": tuple(PAGES),
    "enterprise": ("public", "devices", "enterprises", "insurance"),
    "operator": ("public", "providers", "devices", "quality"),
    "insurer": ("public", "enterprises", "insurance"),
}

#: Columns holding a plate, VIN or terminal number (masked outside the viewer's scope).
VEHICLE_IDENTIFIERS = {"plate": "plate", "vin": "id", "terminal_phone": "phone",
                       "terminal_id": "id", "transport_permit_no": "id"}
#: Columns holding personal data: never shown to the public (already masked in the snapshot).
PERSONAL = ("name", "id_number", "phone", "owner_name", "operator_phone", "safety_manager",
            "safety_manager_phone", "driver_name", "driver_phone")


class NotAuthorised(PermissionError):
    """The viewer asked for a party outside its scope."""


@dataclass(frozen=True)
class Viewer:
    """The person looking: role, login and the parties the role is limited to.

    ``enterprises`` / ``providers`` are ``None`` when the role is not limited on that axis.
    ``vehicle_detail`` tells whether vehicle-level records (violations, failing vehicles) may
    be shown at all; ``personal`` whether personal columns may be shown (masked as published);
    ``unmasked`` the enterprises whose own drivers' and vehicles' names and phones the viewer
    sees in clear (an enterprise: itself; every other role: none,
    :mod:`hazrisk.portal.personal`).
    """

    role: str
    login: str = ""
    enterprises: frozenset[str] | None = None
    providers: frozenset[str] | None = None
    insurer: str = ""
    vehicle_detail: bool = True
    personal: bool = True
    unmasked: frozenset[str] = frozenset()

    @property
    def pages(self) -> tuple[str, ...]:
        return ROLE_PAGES[self.role]

    def may_open(self, page: str) -> bool:
        return page in self.pages

    def sees_enterprise(self, enterprise_id: str) -> bool:
        return self.enterprises is None or enterprise_id in self.enterprises

    def sees_provider(self, provider_id: str) -> bool:
        return self.providers is None or provider_id in self.providers

    def sees_personal_of(self, enterprise_id: str) -> bool:
        """True when the viewer may see ``enterprise_id``'s personal data in clear."""
        return enterprise_id in self.unmasked and self.sees_enterprise(enterprise_id)

    def check_enterprise(self, enterprise_id: str) -> str:
        """``enterprise_id`` when inside the scope, else :class:`NotAuthorised`."""
        if not self.sees_enterprise(enterprise_id):
            raise NotAuthorised(f"无权查看企业 {enterprise_id} / enterprise outside your scope")
        return enterprise_id

    def check_provider(self, provider_id: str) -> str:
        """``provider_id`` when its drill-down is inside the scope, else :class:`NotAuthorised`."""
        if self.role not in ("evaluator", "operator") or not self.sees_provider(provider_id):
            raise NotAuthorised(f"无权查看服务商 {provider_id} 的明细 / provider outside your scope")
        return provider_id


def viewer_for(user: User | None, insured: Iterable[str] = ()) -> Viewer:
    """The viewer of a logged-in ``user`` (``None``: the public). ``insured``: for an insurer,
    the enterprise ids its published policies name (:func:`hazrisk.portal.sql.insured_enterprises`);
    nothing else widens an insurer's scope."""
    if user is None:
        return Viewer(PUBLIC, vehicle_detail=False, personal=False,
                      enterprises=frozenset(), providers=frozenset())
    if user.role == "evaluator":
        return Viewer("evaluator", user.login)
    if user.role == "enterprise":
        return Viewer("enterprise", user.login, enterprises=frozenset({user.scope}),
                      providers=frozenset(), unmasked=frozenset({user.scope}))
    if user.role == "operator":
        return Viewer("operator", user.login, enterprises=None,
                      providers=frozenset({user.scope}))
    if user.role == "insurer":
        return Viewer("insurer", user.login, enterprises=frozenset(insured), providers=frozenset(),
                      insurer=user.scope, vehicle_detail=False, personal=False)
    raise NotAuthorised(f"unknown role {user.role!r}")


def restrict(df: pd.DataFrame, viewer: Viewer) -> pd.DataFrame:
    """Rows of ``df`` the viewer may see: filtered on ``enterprise_id`` by the enterprise scope
    and, for an operator, vehicle-level rows on ``provider_id`` and gateway rows on
    ``source_provider_id``; roles without vehicle detail lose every row naming a vehicle.
    Frames with none of these columns are aggregates and pass unchanged."""
    out = df
    if viewer.role == "operator" and "source_provider_id" in out.columns:
        out = out[out["source_provider_id"].isin(viewer.providers or ())]
    if viewer.role == "operator" and "provider_id" in out.columns and "vehicle_id" in out.columns:
        out = out[out["provider_id"].isin(viewer.providers or ())]
    elif viewer.enterprises is not None and "enterprise_id" in out.columns:
        out = out[out["enterprise_id"].isin(viewer.enterprises)]
    if not viewer.vehicle_detail and "vehicle_id" in out.columns:
        out = out[out["vehicle_id"].isna()]  # rows naming a vehicle are vehicle-level
    return out


def mask(df: pd.DataFrame, viewer: Viewer) -> pd.DataFrame:
    """Mask vehicle identifiers of vehicles outside the viewer's own enterprises/provider and
    drop personal columns for roles that may not see them."""
    out = df.copy()
    if not viewer.personal:
        out = out.drop(columns=[c for c in PERSONAL if c in out.columns])
    own = pd.Series(viewer.role == "evaluator", index=out.index)
    if viewer.role == "enterprise" and "enterprise_id" in out.columns:
        own = out["enterprise_id"].isin(viewer.enterprises or ())
    elif viewer.role == "operator" and "provider_id" in out.columns:
        own = out["provider_id"].isin(viewer.providers or ())
    for col, kind in VEHICLE_IDENTIFIERS.items():
        if col in out.columns:
            masked = out[col].map(lambda v, k=kind: mask_identifier(v, k))
            out[col] = out[col].where(own, masked)
    return out


def mask_identifier(value: object, kind: str) -> object:
    """A plate keeps its province character and city letter (浙H*****); other identifiers
    follow :func:`hazrisk.store.mask_pii`."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return value
    text = str(value)
    if kind == "plate":
        return text[:2] + "*" * max(len(text) - 2, 0)
    return mask_pii(text, "id" if kind == "id" else "phone")
