"""wait_for: adaptive polling with an injected clock, and callback-driven waits."""

from __future__ import annotations

import threading
import time

import pytest

from d4h_sdk.negotiation import PollPolicy, wait_for


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def test_first_poll_is_fast_then_backs_off_to_the_cap() -> None:
    fake = FakeClock()
    policy = PollPolicy(initial=0.05, factor=2.0, maximum=0.4, clock=fake.clock, sleep=fake.sleep)
    states = iter(["A"] * 6 + ["DONE"])
    outcome = wait_for(lambda: next(states), lambda s: s == "DONE", timeout=10, policy=policy)
    assert outcome.done and outcome.polls == 7
    assert fake.sleeps == [0.05, 0.1, 0.2, 0.4, 0.4, 0.4]


def test_deadline_returns_the_last_status_not_done() -> None:
    fake = FakeClock()
    policy = PollPolicy(initial=0.5, factor=1.0, maximum=0.5, clock=fake.clock, sleep=fake.sleep)
    outcome = wait_for(lambda: "RUNNING", lambda s: False, timeout=1.2, policy=policy)
    assert not outcome.done and outcome.status == "RUNNING"
    assert sum(fake.sleeps) == pytest.approx(1.2)  # the last pause is cut to the deadline


def test_on_change_sees_each_new_state_once() -> None:
    fake = FakeClock()
    policy = PollPolicy(clock=fake.clock, sleep=fake.sleep)
    states = iter(["REQUESTED", "REQUESTED", "AGREED", "AGREED", "FINALIZED"])
    seen: list[str] = []
    wait_for(
        lambda: next(states), lambda s: s == "FINALIZED", timeout=10, policy=policy, on_change=seen.append
    )
    assert seen == ["REQUESTED", "AGREED", "FINALIZED"]


class Notifier:
    """A ChangeNotifier whose callback arrives from another thread."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.calls = 0

    def wait_for_change(self, process_id: str, timeout: float) -> bool:
        self.calls += 1
        return self.event.wait(timeout)


def test_a_callback_ends_the_pause_early() -> None:
    notifier = Notifier()
    state = {"value": "REQUESTED"}

    def arrive() -> None:
        state["value"] = "FINALIZED"
        notifier.event.set()

    timer = threading.Timer(0.1, arrive)
    timer.start()
    started = time.monotonic()
    policy = PollPolicy(initial=5.0, factor=1.0, maximum=5.0)
    outcome = wait_for(
        lambda: state["value"],
        lambda s: s == "FINALIZED",
        timeout=20,
        policy=policy,
        notifier=notifier,
        process_id="urn:uuid:1",
    )
    timer.join()
    assert outcome.done and notifier.calls >= 1
    assert time.monotonic() - started < 2.0, "the 5 s poll pause was not cut short by the callback"
