"""The problem workflow on both backends: a whole cycle audited step by step, deadlines
in working time, transitions refused by status, by role and by scope, stale versions
and bad reports, each refused with nothing changed."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from workflow_city import IN_G01, NOW, OUTSIDE, as_, build_workflow_city, jpeg

from citygrid.errors import BadInput, Conflict, NotFound, PermissionDenied, Unauthorized
from citygrid.layers.base_layers import OPEN_STATUSES, PROBLEM_STATUSES
from citygrid.layers.store import Store
from citygrid.services.accounts.principal import anonymous
from citygrid.services.context import CityContext
from citygrid.services.cycle.case import case, overdue_days, timeline
from citygrid.services.cycle.intake import report_problem
from citygrid.services.cycle.photos import PhotoFile, list_photos
from citygrid.services.cycle.workflow import TRANSITIONS, transition

STATUSES = [c.value for c in PROBLEM_STATUSES]
STEPS = [n for n in TRANSITIONS if n != "report"]
FORBIDDEN = [(t, s) for t in STEPS for s in STATUSES if s not in TRANSITIONS[t].sources]
NOTE = {"rectify": "已清理", "rework": "还有垃圾"}


@pytest.fixture
def city(store: Store) -> Store:
    build_workflow_city(store)
    return store


def report(ctx: CityContext, item: str = "C02", where: tuple[float, float] = IN_G01) -> str:
    found = report_problem(ctx, *where, item, "人行道上摆摊", "citizen", "王某", reported_at=NOW)
    return str(found.problem["code"])


def at_status(city: Store, status: str, item: str = "C02") -> str:
    """A problem of ``item`` brought to ``status`` through the workflow, by the system."""
    ctx = as_(city)
    code = report(ctx, item)
    path = {
        "reported": [],
        "open": ["register"],
        "dispatched": ["register", "dispatch"],
        "rectified": ["register", "dispatch", "rectify"],
        "closed": ["register", "dispatch", "rectify", "verify"],
        "reopened": ["register", "dispatch", "rectify", "rework"],
    }[status]
    for step in path:
        transition(ctx, step, code, note=NOTE.get(step))
    return code


def snapshot(store: Store, code: str) -> tuple[dict, int]:
    problem = store.get("problems", code).drop(["geometry"]).to_dict()
    return problem, len(store.history("problems", code))


def test_the_reported_status_comes_first_and_counts_as_open() -> None:
    assert STATUSES[0] == "reported"
    assert STATUSES[1:] == ["open", "dispatched", "rectified", "closed", "reopened"]
    assert "reported" in OPEN_STATUSES
    assert "closed" not in OPEN_STATUSES


def test_a_whole_cycle_is_audited_step_by_step_with_its_actors(city: Store) -> None:
    inspector = as_(city, "inspector", "grid:G01")
    manager = as_(city, "grid_manager", "grid:G01")
    handler = as_(city, "unit_handler", "unit:U_CG")
    found = report_problem(
        inspector, *IN_G01, "C02", "人行道上摆摊", "日常巡查", "王某", reported_at=NOW
    )
    problem = found.problem
    code = problem["code"]
    assert code == "WT00000001"
    assert not found.outside
    assert problem["status"] == "reported"
    assert problem["source"] == "inspection"
    assert (problem["unit_code"], problem["grid_code"], problem["routed_by"]) == (
        "U_CG",
        "G01",
        "grid",
    )
    assert pd.isna(problem["deadline"])
    steps = [
        (manager, "register", None),
        (manager, "dispatch", None),
        (handler, "rectify", "摊位已清走"),
        (inspector, "rework", "仍有杂物"),
        (handler, "rectify", "杂物已清"),
        (inspector, "verify", None),
    ]
    for ctx, step, note in steps:
        transition(ctx, step, code, note=note)
    done = city.get("problems", code)
    assert done["status"] == "closed"
    assert done["closed_at"] == pd.Timestamp(NOW)
    assert done["deadline"] == pd.Timestamp("2025-10-11 10:00")
    steps_seen = timeline(as_(city), code)
    assert steps_seen["action"].tolist() == [
        "report",
        "register",
        "dispatch",
        "rectify",
        "rework",
        "rectify",
        "verify",
    ]
    assert steps_seen["actor"].tolist() == [
        "inspector1",
        "grid_manager1",
        "grid_manager1",
        "unit_handler1",
        "inspector1",
        "unit_handler1",
        "inspector1",
    ]
    assert steps_seen["status"].tolist() == [
        "reported",
        "open",
        "dispatched",
        "rectified",
        "reopened",
        "rectified",
        "closed",
    ]
    assert steps_seen["status_before"].tolist()[1:] == steps_seen["status"].tolist()[:-1]
    assert steps_seen["note"].tolist()[3:5] == ["摊位已清走", "仍有杂物"]
    audit = city.read("audit", where={"layer": "problems", "feature_code": code})
    assert audit["action"].str.startswith("transition:").all()


def test_a_deadline_across_national_day_2025_from_the_standard(city: Store) -> None:
    # 3 working days from Tuesday 30 September 10:00: 5.5 h that day, 1-8 October off,
    # 7 h on the 9th and the 10th, and 1.5 h on Saturday the 11th (an adjusted working day).
    ctx = as_(city)
    code = report(ctx, "C02")
    registered = transition(ctx, "register", code)
    assert registered["deadline"] == pd.Timestamp("2025-10-11 10:00")
    late = as_(city, now=datetime(2025, 10, 13, 10, 0))
    assert overdue_days(late, registered) == pytest.approx(1.0)
    assert overdue_days(ctx, registered) == 0.0
    assert case(late, code).overdue_days == pytest.approx(1.0)
    urgent = report(ctx, "C01")
    keyed = transition(ctx, "register", urgent, condition="重点区域乱扔垃圾")
    assert keyed["deadline"] == pd.Timestamp("2025-09-30 12:00")


def test_a_closed_problem_counts_as_overdue_until_it_was_closed(city: Store) -> None:
    code = at_status(city, "rectified")
    later = as_(city, now=datetime(2025, 10, 13, 10, 0))
    closed = transition(later, "verify", code)
    assert overdue_days(as_(city, now=datetime(2026, 1, 5)), closed) == pytest.approx(1.0)
    assert overdue_days(as_(city), city.get("problems", report(as_(city)))) is None


@pytest.mark.parametrize(("step", "status"), FORBIDDEN)
def test_a_transition_the_workflow_does_not_allow_is_refused(
    city: Store, step: str, status: str
) -> None:
    code = at_status(city, status)
    before = snapshot(city, code)
    with pytest.raises(Conflict, match=f"Problem {code} is .*; .* applies only to problems"):
        transition(as_(city), step, code, note=NOTE.get(step))
    assert snapshot(city, code) == before


def test_close_is_verify(city: Store) -> None:
    code = at_status(city, "rectified")
    assert transition(as_(city), "close", code)["status"] == "closed"
    assert timeline(as_(city), code)["action"].iloc[-1] == "verify"


@pytest.mark.parametrize(
    ("role", "scope", "step", "status", "error"),
    [
        ("unit_handler", "unit:U_CG", "register", "reported", PermissionDenied),
        ("unit_handler", "unit:U_CG", "verify", "rectified", PermissionDenied),
        ("viewer", "", "register", "reported", PermissionDenied),
        ("viewer", "", "dispatch", "open", PermissionDenied),
        ("viewer", "", "rectify", "dispatched", PermissionDenied),
        ("viewer", "", "verify", "rectified", PermissionDenied),
        ("viewer", "", "rework", "rectified", PermissionDenied),
        ("planner", "jurisdiction:430102001", "register", "reported", PermissionDenied),
        ("inspector", "jurisdiction:430102001", "rectify", "dispatched", PermissionDenied),
        ("grid_manager", "grid:G04", "register", "reported", PermissionDenied),
        ("grid_manager", "grid:G04", "verify", "rectified", PermissionDenied),
        ("unit_handler", "unit:U_SW", "rectify", "dispatched", PermissionDenied),
        (None, "", "register", "reported", Unauthorized),
    ],
)
def test_a_role_or_scope_that_may_not_make_a_transition_is_refused(
    city: Store, role: str | None, scope: str, step: str, status: str, error: type
) -> None:
    code = at_status(city, status)
    before = snapshot(city, code)
    if role is None:
        ctx = CityContext(city, as_(city).config, principal=anonymous())
    else:
        ctx = as_(city, role, scope)
    with pytest.raises(error):
        transition(ctx, step, code, note=NOTE.get(step))
    assert snapshot(city, code) == before


def test_the_refusal_of_a_role_names_the_roles_that_may(city: Store) -> None:
    code = at_status(city, "reported")
    with pytest.raises(PermissionDenied, match=r"may not register problems; only .* may"):
        transition(as_(city, "unit_handler", "unit:U_CG"), "register", code)


def test_a_viewer_and_a_unit_handler_cannot_report(city: Store) -> None:
    for role, scope in (("viewer", ""), ("unit_handler", "unit:U_CG")):
        with pytest.raises(PermissionDenied):
            report(as_(city, role, scope))
    assert city.read("problems").empty


def test_a_grid_manager_reports_only_inside_their_scope(city: Store) -> None:
    with pytest.raises(PermissionDenied, match="outside your scope"):
        report(as_(city, "grid_manager", "grid:G04"))
    assert city.read("problems").empty
    assert report(as_(city, "grid_manager", "grid:G01")) == "WT00000001"


def test_a_stale_version_is_a_conflict_naming_who_changed_it(city: Store) -> None:
    code = at_status(city, "reported")
    seen = int(city.get("problems", code)["version"])
    transition(as_(city, "grid_manager", "grid:G01"), "register", code, version=seen)
    before = snapshot(city, code)
    with pytest.raises(Conflict, match="changed by grid_manager1"):
        transition(as_(city), "dispatch", code, version=seen)
    assert snapshot(city, code) == before


def test_dispatch_to_a_unit_given_by_hand(city: Store) -> None:
    code = at_status(city, "open")
    sent = transition(as_(city), "dispatch", code, unit="U_SW", note="商务局负责")
    assert (sent["unit_code"], sent["routed_by"], sent["status"]) == (
        "U_SW",
        "manual",
        "dispatched",
    )
    with pytest.raises(BadInput, match="no unit U_XX"):
        transition(as_(city), "dispatch", at_status(city, "open", "C01"), unit="U_XX")


def test_a_problem_nobody_answers_for_is_not_dispatched_without_a_unit(city: Store) -> None:
    ctx = as_(city)
    code = str(report_problem(ctx, *OUTSIDE, "C03", None).problem["code"])
    transition(ctx, "register", code)
    before = snapshot(city, code)
    with pytest.raises(BadInput, match="Nobody answers for the place"):
        transition(ctx, "dispatch", code)
    assert snapshot(city, code) == before


def test_rectify_stores_the_evidence_photos_and_names_them_in_the_note(city: Store) -> None:
    code = at_status(city, "dispatched")
    transition(as_(city), "rectify", code, note="已清理", photos=[PhotoFile("after.jpg", jpeg())])
    assert timeline(as_(city), code)["note"].iloc[-1] == f"已清理\nphotos: {code}-01"
    stored = list_photos(as_(city), code)
    assert stored[["code", "kind", "content_type"]].values.tolist() == [
        [f"{code}-01", "evidence", "image/jpeg"]
    ]


@pytest.mark.parametrize(
    ("step", "status", "options", "message"),
    [
        ("rework", "rectified", {}, "Say what is still wrong"),
        ("rectify", "dispatched", {"note": "  "}, "Say what was done"),
        ("register", "reported", {"condition": "夜间"}, "has no condition '夜间'"),
        ("rectify", "dispatched", {"note": "好", "photos": [PhotoFile("x.txt", b"")]}, "not an"),
        ("register", "reported", {"unit": "U_SW"}, "Option unit belongs to"),
        ("publish", "reported", {}, "not a transition"),
        ("report", "reported", {}, "not a transition"),
    ],
)
def test_bad_transition_input_is_refused_with_nothing_changed(
    city: Store, step: str, status: str, options: dict, message: str
) -> None:
    code = at_status(city, status)
    before = snapshot(city, code)
    with pytest.raises(BadInput, match=message):
        transition(as_(city), step, code, **options)
    assert snapshot(city, code) == before


def test_an_unknown_problem_is_not_found(city: Store) -> None:
    with pytest.raises(NotFound, match="no problem WT99"):
        transition(as_(city), "register", "WT99")
    with pytest.raises(NotFound, match="no problem WT99"):
        case(as_(city), "WT99")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((*IN_G01, "C99", "摆摊", "citizen"), "no catalogue item C99; items include: C01"),
        ((*IN_G01, "H", "垃圾", "citizen"), "is a heading; report one of the items below it: H01"),
        ((*IN_G01, "C02", "  ", "citizen"), "needs a description"),
        ((*IN_G01, "C02", "摆摊", "phone"), "'phone' is not a source"),
        ((200, 28.1985, "C02", "摆摊", "citizen"), "not a longitude and latitude"),
        (("east", 28.1985, "C02", "摆摊", "citizen"), "must be numbers"),
    ],
)
def test_a_bad_report_is_refused_with_nothing_written(
    city: Store, args: tuple, message: str
) -> None:
    with pytest.raises(BadInput, match=message):
        report_problem(as_(city), *args)
    assert city.read("problems").empty


def test_a_component_needs_no_description_and_a_place_outside_is_said(city: Store) -> None:
    found = report_problem(as_(city), *OUTSIDE, "C03", None, "市民举报")
    assert found.outside
    assert found.outside_distance_m is not None
    assert found.outside_distance_m > 1000
    assert found.problem["routed_by"] == "outside"
    assert found.problem["source"] == "citizen"
    assert pd.isna(found.problem["description"])


def test_codes_follow_the_highest_held(city: Store) -> None:
    ctx = as_(city)
    codes = [report(ctx, item) for item in ("C01", "C02", "C03")]
    assert codes == ["WT00000001", "WT00000002", "WT00000003"]


def test_the_case_names_what_its_codes_refer_to_and_hides_the_actor_from_handlers(
    city: Store,
) -> None:
    code = at_status(city, "dispatched")
    seen = case(as_(city), code)
    assert seen.names["unit_code"] == "城管局"
    assert seen.names["catalogue_code"] == "占道经营"
    assert seen.names["subdistrict_code"] == "五一街道"
    handler = case(as_(city, "unit_handler", "unit:U_CG"), code)
    assert "actor" not in handler.timeline.columns
    assert "reporter" not in handler.problem.index
    with pytest.raises(NotFound):
        case(as_(city, "unit_handler", "unit:U_SW"), code)
