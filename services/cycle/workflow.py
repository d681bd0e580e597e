"""The case workflow: which transition takes a problem from which status, made by whom.

A problem moves 立案 → 派遣 → 处置/反馈 → 核查 → 结案, or back to its unit
(返工). Each transition is one :meth:`~citygrid.layers.store.Store.update`
of the problem with ``action="transition:<name>"`` and the note as its
reason, so the audit log holds who made it, when, and why; a case's
timeline is read back from it (:func:`citygrid.services.cycle.case.timeline`).

=========  ===================  ==========  ======================================
name       from                 to          roles (within their scope)
=========  ===================  ==========  ======================================
report     (new problem)        reported    admin, grid_manager, inspector
register   reported             open        admin, grid_manager
dispatch   open, reopened       dispatched  admin, grid_manager
rectify    dispatched,          rectified   admin, unit_handler (of the problem's
           reopened                         unit)
verify     rectified            closed      admin, inspector, grid_manager
rework     rectified            reopened    admin, inspector, grid_manager
=========  ===================  ==========  ======================================

Planners assign responsibility but do not handle cases (their role
changes no problems); viewers change nothing. The command line runs as
the system principal, which may make every transition, but never one the
workflow does not allow from the problem's current status.

What each transition sets:

- ``register`` routes the problem again (the map may have changed since
  it was reported) and sets its deadline from its item's registration
  condition (:func:`~citygrid.services.cycle.deadlines.deadline_for`,
  counted from ``reported_at``; the condition named, or the item's first);
- ``dispatch`` sends it to the routed unit, or to the unit given (then
  ``routed_by`` is ``manual`` and it keeps that unit when places change);
  a problem nobody answers for is refused until a unit is given;
- ``rectify`` needs a note saying what was done; its evidence photos
  are stored with the problem (:mod:`~citygrid.services.cycle.photos`,
  kind ``evidence``) in the same transaction, and the note names them
  (``photos: WT00000001-02, WT00000001-03``);
- ``verify`` (``close``) sets ``closed_at``; ``rework`` needs a note
  saying what is still wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from citygrid.errors import BadInput, Conflict, PermissionDenied, Unauthorized
from citygrid.layers.base_layers import PROBLEM_STATUSES
from citygrid.layers.registry import Choice, get_layer
from citygrid.services.accounts.roles import ROLE_DECLARATIONS
from citygrid.services.context import CityContext
from citygrid.services.cycle.access import get_problem
from citygrid.services.cycle.access import no_problem as no_problem  # re-exported
from citygrid.services.cycle.deadlines import deadline_for
from citygrid.services.cycle.photos import PhotoFile, add_photos
from citygrid.services.providers.scoping import check_write
from citygrid.services.routing.chain import routed_fields
from citygrid.services.routing.reroute import route_problems


@dataclass(frozen=True)
class Transition:
    """One step of the workflow.

    Attributes
    ----------
    choice
        Its name (``register``...; also in the audit's ``transition:<name>``)
        with its zh and en labels (立案, register).
    sources
        The statuses it applies to (empty for ``report``, which creates the problem).
    target
        The status it leaves the problem in.
    roles
        The roles that may make it (the system principal may make every one).
    note_required
        Whether it needs a note.
    """

    choice: Choice
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    note_required: bool = False

    @property
    def name(self) -> str:
        """The transition's name (``register``...)."""
        return self.choice.value

    def label(self, lang: str | None = None) -> str:
        """The transition's name in ``lang`` (default: the current language)."""
        return self.choice.label(lang)


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            Choice("report", "上报", "report"),
            (),
            "reported",
            ("admin", "grid_manager", "inspector"),
        ),
        Transition(
            Choice("register", "立案", "register"), ("reported",), "open", ("admin", "grid_manager")
        ),
        Transition(
            Choice("dispatch", "派遣", "dispatch"),
            ("open", "reopened"),
            "dispatched",
            ("admin", "grid_manager"),
        ),
        Transition(
            Choice("rectify", "整改反馈", "rectify and report back"),
            ("dispatched", "reopened"),
            "rectified",
            ("admin", "unit_handler"),
            note_required=True,
        ),
        Transition(
            Choice("verify", "核查结案", "verify and close"),
            ("rectified",),
            "closed",
            ("admin", "inspector", "grid_manager"),
        ),
        Transition(
            Choice("rework", "返工", "send back for rework"),
            ("rectified",),
            "reopened",
            ("admin", "inspector", "grid_manager"),
            note_required=True,
        ),
    )
}
"""Every transition by name (the table of the module docstring)."""

ACTION_PREFIX = "transition:"


def status_label(status: Any, lang: str | None = None) -> str:
    """A status in the user's language (``待处置``), or the value itself when unknown."""
    for choice in PROBLEM_STATUSES:
        if choice.value == status:
            return choice.label(lang)
    return str(status)


def check_role(ctx: CityContext, transition: Transition) -> None:
    """Refuse ``transition`` when ``ctx.principal``'s role may not make it (scope aside).

    Raises
    ------
    Unauthorized
        Nobody is signed in.
    PermissionDenied
        The role is not one of the transition's; the message names those that are.
    """
    principal = ctx.principal
    if principal.system:
        return
    if principal.role is None:
        raise Unauthorized("Sign in to {action} problems.", action=transition.label())
    if principal.role.name not in transition.roles:
        raise PermissionDenied(
            "Your role ({role}) may not {action} problems; only {roles} may.",
            role=principal.role.label(),
            action=transition.label(),
            roles=", ".join(ROLE_DECLARATIONS[r].label() for r in transition.roles),
        )


def transition(
    ctx: CityContext,
    name: str,
    code: str,
    *,
    note: str | None = None,
    version: int | None = None,
    unit: str | None = None,
    condition: str | None = None,
    photos: Sequence[PhotoFile] = (),
) -> pd.Series:
    """Make the transition ``name`` on the problem ``code``, checked and audited.

    Parameters
    ----------
    ctx
        The city; ``ctx.principal`` must be allowed the transition and the
        problem, ``ctx.actor`` is written to the audit log, ``ctx.now`` is
        when it happens (``closed_at`` of ``verify``).
    name
        ``register``, ``dispatch``, ``rectify``, ``verify`` (or ``close``) or ``rework``.
    code
        The problem.
    note
        Why, or what was done (the audit's reason); required by ``rectify``
        and ``rework``.
    version
        The version of the problem the user saw; a stale one is refused.
    unit
        ``dispatch`` only: the unit to send it to instead of the routed one.
    condition
        ``register`` only: the registration condition (code or text) that
        sets the deadline; default the item's first.
    photos
        ``rectify`` only: evidence photos, stored with the problem.

    Returns
    -------
    pandas.Series
        The problem as it is after the transition.

    Raises
    ------
    BadInput
        An unknown transition, an option it does not take, a missing note,
        an unknown unit or condition, a photo that is not an image or too big.
    NotFound
        No such problem.
    Unauthorized, PermissionDenied
        A role that may not make the transition, or a problem outside the
        principal's scope.
    Conflict
        The workflow does not allow it from the problem's status, or
        ``version`` is stale (naming who changed it).
    """
    step = get_transition(name)
    check_role(ctx, step)
    reason = _reason(step, note)
    _check_options(step, unit=unit, condition=condition, photos=photos)
    if unit is not None and ctx.store.read("units", where={"code": unit}, columns=["code"]).empty:
        raise BadInput("There is no unit {unit}; `citygrid workload` lists the units.", unit=unit)
    store = ctx.store
    with store.transaction() as conn:
        problem = get_problem(ctx, code, conn=conn)
        check_write(ctx, get_layer("problems"), [code])
        check_status(step, problem)
        changes: dict[str, Any] = {"code": code, "status": step.target}
        if version is not None:
            changes["version"] = int(version)
        if step.name in ("register", "dispatch"):
            changes.update(_routing(ctx, code, conn))
        if step.name == "register":
            changes["deadline"] = deadline_for(
                ctx, problem["catalogue_code"], problem["reported_at"], condition
            )
        if step.name == "dispatch":
            changes.update(_dispatch_unit(ctx, problem, changes, unit, conn))
        if step.name == "verify":
            changes["closed_at"] = now_stamp(ctx)
        if photos:
            added = add_photos(ctx, code, photos, "evidence", conn=conn)
            named = "photos: " + ", ".join(added["code"])
            reason = f"{reason}\n{named}" if reason else named
        store.update(
            "problems",
            pd.DataFrame([changes]),
            actor=ctx.actor,
            action=ACTION_PREFIX + step.name,
            reason=reason,
            conn=conn,
        )
        return get_problem(ctx, code, conn=conn)


def get_transition(name: str) -> Transition:
    """The transition called ``name`` (``close`` is ``verify``); ``report`` is
    :func:`~citygrid.services.cycle.intake.report_problem`'s.

    Raises
    ------
    BadInput
        No transition is called so.
    """
    wanted = "verify" if name == "close" else name
    if wanted not in TRANSITIONS or wanted == "report":
        raise BadInput(
            "{name!r} is not a transition of a problem; use one of: {known}.",
            name=name,
            known=", ".join(n for n in TRANSITIONS if n != "report"),
        )
    return TRANSITIONS[wanted]


def check_status(step: Transition, problem: pd.Series) -> None:
    """Refuse ``step`` when the workflow does not allow it from the problem's status.

    Raises
    ------
    Conflict
        The problem's status is not one ``step`` applies to; the message
        names both and the statuses it applies to.
    """
    status = problem["status"]
    if status not in step.sources:
        raise Conflict(
            "Problem {code} is {status}; {action} applies only to problems that are {allowed}.",
            code=problem["code"],
            status=status_label(status),
            action=step.label(),
            allowed=", ".join(status_label(s) for s in step.sources),
        )


def _reason(step: Transition, note: str | None) -> str | None:
    text = (note or "").strip()
    if step.note_required and not text:
        if step.name == "rectify":
            raise BadInput("Say what was done to rectify the problem (--note).")
        raise BadInput("Say what is still wrong before sending it back for rework (--note).")
    return text or None


def _check_options(
    step: Transition, *, unit: str | None, condition: str | None, photos: Sequence[PhotoFile]
) -> None:
    given = {
        "unit": (unit is not None, "dispatch"),
        "condition": (condition is not None, "register"),
        "photo": (bool(photos), "rectify"),
    }
    for option, (is_given, owner) in given.items():
        if is_given and step.name != owner:
            raise BadInput(
                "Option {option} belongs to {owner}, not to {action}.",
                option=option,
                owner=TRANSITIONS[owner].label(),
                action=step.label(),
            )


def _routing(ctx: CityContext, code: str, conn: sa.Connection) -> dict[str, Any]:
    """The problem's routed fields as the router gives them now (only those that change)."""
    routed = route_problems(ctx, codes=[code], dry_run=True, conn=conn)
    if routed.empty:
        return {}
    row = routed.iloc[0]
    return {f: (None if pd.isna(row[f]) else row[f]) for f in routed_fields()}


def _dispatch_unit(
    ctx: CityContext,
    problem: pd.Series,
    changes: dict[str, Any],
    unit: str | None,
    conn: sa.Connection,
) -> dict[str, Any]:
    """The unit fields of a dispatch: the unit given (by hand), else the routed one."""
    if unit is not None:
        routed_unit = changes.get("unit_code", problem["unit_code"])
        head = changes.get("head_code", problem["head_code"]) if unit == routed_unit else None
        return {"unit_code": unit, "head_code": head, "routed_by": "manual"}
    routed_unit = changes.get("unit_code", problem["unit_code"])
    if routed_unit is None or pd.isna(routed_unit):
        raise BadInput(
            "Nobody answers for the place of problem {code} (routed by {rule}); give the unit "
            "to send it to (--unit), or assign the place a unit first.",
            code=problem["code"],
            rule=changes.get("routed_by", problem["routed_by"]),
        )
    return {}


def now_stamp(ctx: CityContext) -> datetime:
    """``ctx.now`` to the second, as stored."""
    return ctx.now.replace(microsecond=0)
