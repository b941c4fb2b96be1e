"""The association's portal (服务门户): users, roles and scopes behind the Streamlit app in
``apps/`` and the ``hazrisk app`` command. The app's pages live in ``apps/pages``; what a role
may see is decided here (:mod:`hazrisk.portal.scope`) and enforced by ``apps/data.py``."""

from hazrisk.portal.scope import (
           PAGES,
           ROLE_PAGES,
           NotAuthorised,
           Viewer,
           mask,
           restrict,
           viewer_for,
)
from hazrisk.portal.users import ROLES, User, UsersError, add_user, authenticate, list_users

__all__ = ["PAGES", "ROLES", "ROLE_PAGES", "NotAuthorised", "User", "UsersError", "Viewer",
           "add_user", "authenticate", "list_users", "mask", "restrict", "viewer_for"]
