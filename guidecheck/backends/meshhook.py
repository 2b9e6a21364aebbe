"""MeshHook's source as a backend: the ``meshhook`` tier, for the blocks that build and run MeshHook.

Where the source comes from, first match wins:

* ``GUIDE_MESHHOOK_CHECKOUT``: a checkout used as it is, at whatever commit it is (the report says which);
* else a clone of ``GUIDE_MESHHOOK_SOURCE`` (a git URL or bundle; default: upstream, ``pin.UPSTREAM``)
  at ``GUIDE_MESHHOOK_REF`` (default: the pinned commit, ``pin.COMMIT``), cached per commit in
  ``GUIDE_MESHHOOK_CACHE`` (default ``~/.cache/meshhook-guide/meshhook``) — see ``meshhook_source.py``.

Pages find it in ``MESHHOOK_DIR``. The tier is strict: a strict run fails when MeshHook cannot be had.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .. import pin
from . import meshhook_source
from .interface import Backend, BackendUnavailable, Plan

if TYPE_CHECKING:
    from ..page import PageSession


class MeshHook(Backend):
    name = "meshhook"
    tiers = {"meshhook": "MeshHook's source code"}

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.checkout: Path | None = None
        self.commit: str | None = None

    def start(self, plan: Plan) -> None:
        given = os.environ.get("GUIDE_MESHHOOK_CHECKOUT")
        try:
            if given:
                self.checkout = Path(given).resolve()
                if not self.checkout.is_dir():
                    raise BackendUnavailable(f"GUIDE_MESHHOOK_CHECKOUT={given} is not a directory")
                self.commit = meshhook_source.head(self.checkout)
            else:
                source, ref, cache = meshhook_source.settings()
                self.checkout, self.commit = meshhook_source.obtain(source, ref, cache, plan.say)
        except meshhook_source.SourceError as error:
            if given:
                raise BackendUnavailable(f"GUIDE_MESHHOOK_CHECKOUT={given} cannot be used: {error}") from None
            raise BackendUnavailable(str(error)) from None
        if not (self.checkout / "package.json").is_file():
            raise BackendUnavailable(f"{self.checkout} has no package.json: not a MeshHook checkout")

    def sweep_leftovers(self) -> str:
        removed = meshhook_source.sweep(meshhook_source.settings()[2])
        return f"removed {removed} unfinished MeshHook clones of interrupted runs" if removed else ""

    def describe(self) -> dict:
        return {"checkout": str(self.checkout), "commit": self.commit}

    def attach(self, description: dict) -> None:
        self.checkout = Path(description["checkout"])
        self.commit = description["commit"]

    def page_environment(self, page: PageSession) -> dict[str, str]:
        return {"MESHHOOK_DIR": str(self.checkout), **upstream_mirror(self.checkout)}

    def report_environment(self) -> str | None:
        return self.commit

    @classmethod
    def environment_words(cls, value) -> str:
        return f"MeshHook {str(value)[:7]}" if value else "no MeshHook checkout"


def upstream_mirror(checkout: Path) -> dict[str, str]:
    """Git settings under which the reader's own ``git clone`` of upstream reads the run's checkout.

    The machines that verify the guide cannot reach GitHub; the clone step the pages show still runs,
    against a local repository holding the same commit (git's ``url.<base>.insteadOf``).
    """
    # safe.directory: the checkout may belong to another user than the one cloning (CI runs as root).
    # init.defaultBranch: the run's checkout sits at a commit, not on a branch as upstream's default
    # branch (main) is, and newer git would otherwise hint about the name when cloning it.
    return {"GIT_CONFIG_COUNT": "3", "GIT_CONFIG_KEY_0": f"url.{checkout}.insteadOf",
            "GIT_CONFIG_VALUE_0": pin.UPSTREAM, "GIT_CONFIG_KEY_1": "safe.directory",
            "GIT_CONFIG_VALUE_1": str(checkout), "GIT_CONFIG_KEY_2": "init.defaultBranch",
            "GIT_CONFIG_VALUE_2": "main"}
