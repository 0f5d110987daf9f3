"""What else happens when a work order is done: other modules register a hook here.

    from dotmac_isp.modules.field import hooks

    @hooks.on_completion
    def install_cpe(session: Session, work_order: WorkOrder) -> None: ...

Hooks run in the completing transaction, after the work order is marked done (and an
installation's subscription activated); a hook that raises refuses the completion, and
nothing of it is kept.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from dotmac_isp.modules.field.models import WorkOrder

CompletionHook = Callable[[Session, WorkOrder], None]
_completion_hooks: list[CompletionHook] = []


def on_completion(hook: CompletionHook) -> CompletionHook:
    """Register a hook called with (session, work order) when a work order is done."""
    if hook not in _completion_hooks:
        _completion_hooks.append(hook)
    return hook


def remove(hook: CompletionHook) -> None:
    if hook in _completion_hooks:
        _completion_hooks.remove(hook)


def completion_hooks() -> list[CompletionHook]:
    return list(_completion_hooks)


def run_completion(session: Session, work_order: WorkOrder) -> None:
    for hook in completion_hooks():
        hook(session, work_order)
