"""Which xdist worker verifies which page.

A page is one shell session, so it runs whole on one worker (xdist's ``loadfile``). Some pages spend
their time waiting rather than computing: a backend says so (``Backend.waits``; Terraform's provider
sleeps for minutes between polls whatever the emulator answers). Run among the others, such a page
holds a core's worker idle. So a run with such pages gets one worker more than the machine has cores,
kept for them: their waiting overlaps the other pages' work, and the other pages still have a worker
a core. The extra worker takes nothing else and stops when they are done; the others take a waiting
page too if they run out of work before it has started.
"""

from __future__ import annotations

import os
from pathlib import Path

from xdist.scheduler import LoadFileScheduling

from .backends import registry
from .blocks import Block, read_blocks


def cores() -> int:
    return len(os.sched_getaffinity(0))


def waiting_pages(root: Path, pages: list[Path]) -> set[str]:
    """The pages (relative to *root*, as pytest names them) with a block that needs a waiting backend."""
    tiers = {tier for backend in registry.backends() if backend.waits for tier in backend.tiers}
    waiting = set()
    for path in pages:
        page = path.relative_to(root).as_posix()
        if any(isinstance(block, Block) and not block.options.skip and block.needs & tiers
               for block in read_blocks(path, page)):
            waiting.add(page)
    return waiting


class WaitingPagesApart(LoadFileScheduling):
    """``loadfile``, with the last worker kept for the waiting pages."""

    def __init__(self, config, log, waiting: set[str]) -> None:
        super().__init__(config, log)
        self.waiting = waiting
        self.kept = None

    def _kept_for_waiting(self, node) -> bool:
        # Chosen once, when all workers are up: a worker that is done leaves self.nodes.
        if self.kept is None:
            self.kept = max(self.nodes, key=lambda each: int(each.gateway.id.removeprefix("gw")))
        return node is self.kept

    def _assign_work_unit(self, node) -> None:
        waiting = [scope for scope in self.workqueue if scope in self.waiting]
        others = [scope for scope in self.workqueue if scope not in self.waiting]
        if self._kept_for_waiting(node):
            if not waiting and len(self.nodes) > 1:
                node.shutdown()
                return
            scope = (waiting or others)[0]
        else:
            scope = (others or waiting)[0]
        work_unit = self.workqueue.pop(scope)
        self.assigned_work.setdefault(node, {})[scope] = work_unit
        collection = self.registered_collections[node]
        node.send_runtest_some([collection.index(nodeid) for nodeid, done in work_unit.items() if not done])
