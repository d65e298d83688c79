"""Addresses of backend endpoints as the browser must use them."""

from __future__ import annotations

from reflex.constants import Dirs
from reflex.utils.imports import ImportVar
from reflex.vars import Var, VarData


def api_href(path: Var[str] | str) -> Var[str]:
    """An API path (``/api/v2/...``) as an address on the backend server.

    In production the backend shares the page's origin; in development it listens on
    another port, which ``getBackendURL`` knows. The path is resolved relative to the
    backend's own endpoints so a backend path prefix is kept.
    """
    path_var = Var.create(path).to(str)
    base = "getBackendURL(env.PING)"
    return Var(
        _js_expr=f"(new URL(String({path_var!s}).replace(/^\\//, ''), {base}).href)",
        _var_data=VarData.merge(
            path_var._get_all_var_data(),
            VarData(
                imports={
                    f"$/{Dirs.STATE_PATH}": "getBackendURL",
                    "$/env.json": ImportVar(tag="env", is_default=True),
                }
            ),
        ),
    ).to(str)
