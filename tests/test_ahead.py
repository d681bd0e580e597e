"""Items made ahead in a thread: in order, errors where they happened, nothing left running."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator

import pytest

from citygrid.ahead import made_ahead

WHO = contextvars.ContextVar("WHO", default="nobody")


def test_items_come_in_order_from_another_thread() -> None:
    makers: set[int] = set()

    def numbers() -> Iterator[int]:
        for n in range(100):
            makers.add(threading.get_ident())
            yield n

    with made_ahead(numbers()) as items:
        assert list(items) == list(range(100))
    assert makers
    assert threading.get_ident() not in makers


def test_no_more_than_the_next_item_is_made_ahead() -> None:
    made: list[int] = []

    def numbers() -> Iterator[int]:
        for n in range(20):
            made.append(n)
            yield n

    with made_ahead(numbers()) as items:
        for taken, _ in enumerate(items, start=1):
            time.sleep(0.005)  # the maker has time to run ahead, if it would
            assert len(made) <= taken + 1


def test_an_error_making_an_item_is_raised_where_the_caller_reaches_it() -> None:
    def failing() -> Iterator[str]:
        yield "第一批"
        raise ValueError("第二批坏了")

    seen: list[str] = []

    def take_all() -> None:
        with made_ahead(failing()) as items:
            seen.extend(items)

    with pytest.raises(ValueError, match="第二批坏了"):
        take_all()
    assert seen == ["第一批"]


def test_leaving_early_stops_the_maker_and_closes_the_source() -> None:
    made: list[int] = []
    closed = threading.Event()

    def endless() -> Iterator[int]:
        n = 0
        try:
            while True:
                made.append(n)
                yield n
                n += 1
        finally:
            closed.set()

    def write_until_it_fails() -> None:
        with made_ahead(endless()) as items:
            for item in items:
                if item == 5:
                    raise RuntimeError("写入失败")

    with pytest.raises(RuntimeError, match="写入失败"):
        write_until_it_fails()
    assert closed.is_set()
    count = len(made)
    assert count in (6, 7)  # the six taken (0 to 5), and maybe the one made ahead
    assert not any(t.name == "citygrid-ahead" for t in threading.enumerate())
    assert len(made) == count  # nothing made after the block


def test_the_maker_runs_in_the_callers_context() -> None:
    def whose() -> Iterator[str]:
        yield WHO.get()

    token = WHO.set("网格员")
    try:
        with made_ahead(whose()) as items:
            assert list(items) == ["网格员"]
    finally:
        WHO.reset(token)


def test_nothing_to_make_gives_nothing() -> None:
    with made_ahead(iter(())) as items:
        assert list(items) == []
