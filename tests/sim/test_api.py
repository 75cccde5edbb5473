"""The simulator's building blocks: requests, the virtual clock, lifecycle plans, faults."""

from __future__ import annotations

import random

import pytest

from jobtui.sim.api import SimRequest, World, json_response
from jobtui.sim.clock import SimClock
from jobtui.sim.faults import FaultPlan
from jobtui.sim.lifecycle import Plan, seed_position, step_plan


def test_request_json_and_form() -> None:
    good = SimRequest("POST", "/x", {}, {}, b'{"a": [1]}')
    bad = SimRequest("POST", "/x", {}, {}, b"{nope")
    form = SimRequest("POST", "/x", {"q": ["1", "2"]}, {}, b"grant_type=client_credentials&s=a+b")
    assert good.json() == {"a": [1]}
    with pytest.raises(ValueError):
        bad.json()
    assert form.form() == {"grant_type": "client_credentials", "s": "a b"}
    assert form.param("q") == "1" and form.param("missing") is None


def test_json_response_sets_content_type_and_lowercases_headers() -> None:
    response = json_response(429, {"m": 1}, {"Retry-After": "2"})
    assert response.status == 429
    assert response.body == b'{"m":1}'
    assert response.headers == {"content-type": "application/json", "retry-after": "2"}


def test_world_rng_is_determined_by_seed_kind_and_job() -> None:
    def draw(seed: int, kind: str, job: str) -> float:
        return World(seed).rng(kind, job).random()

    assert draw(1, "deepomatic", "a") == draw(1, "deepomatic", "a")
    assert len({draw(1, "deepomatic", "a"), draw(2, "deepomatic", "a"),
                draw(1, "superai", "a"), draw(1, "deepomatic", "b")}) == 4  # fmt: skip


def test_clock_scales_real_time_and_changes_speed_without_a_jump() -> None:
    real = [100.0]
    clock = SimClock(10.0, monotonic=lambda: real[0])
    real[0] = 101.0
    assert clock.now() == pytest.approx(10.0)
    clock.set_speed(0.0)
    real[0] = 500.0
    assert clock.now() == pytest.approx(10.0)  # frozen
    assert clock.advance(5) == pytest.approx(15.0)
    clock.set_speed(2.0)
    real[0] = 501.0
    assert clock.now() == pytest.approx(17.0)
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_plan_states_follow_time_and_cut_ends_early() -> None:
    plan = step_plan(100.0, [("A", 10.0), ("B", 5.0), ("C", 0.0)])
    assert [plan.state_at(t) for t in (99.0, 100.0, 109.9, 110.0, 115.0, 9999.0)] == [
        "A", "A", "A", "B", "C", "C"
    ]  # fmt: skip
    assert plan.finished_at() == 115.0
    assert plan.is_final(115.0) and not plan.is_final(114.0)
    cut = plan.cut(112.0, "X")
    assert [step.state for step in cut.steps] == ["A", "B", "X"]
    assert cut.state_at(111.0) == "B" and cut.state_at(112.0) == "X"


def test_seed_position_walks_every_step_first() -> None:
    plan = step_plan(0.0, [("A", 10.0), ("B", 20.0), ("C", 0.0)])
    rng = random.Random(1)
    placed: list[Plan] = [seed_position(plan, 1000.0, index, rng) for index in range(6)]
    assert [p.state_at(1000.0) for p in placed] == ["A", "B", "C", "A", "B", "C"]


def test_fault_plan_rate_and_determinism() -> None:
    first = FaultPlan(0.2, seed=5)
    again = FaultPlan(0.2, seed=5)
    draws = [first.next("k") for _ in range(2000)]
    assert draws == [again.next("k") for _ in range(2000)]
    hits = sum(fault is not None for fault in draws)
    assert 0.16 * 2000 < hits < 0.24 * 2000
    assert all(fault is None for fault in (FaultPlan(0.0, 5).next("k") for _ in range(100)))
    with pytest.raises(ValueError):
        FaultPlan(1.5, 0)
