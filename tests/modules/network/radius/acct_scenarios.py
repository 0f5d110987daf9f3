"""Orderings of Accounting-Requests (Start, Interim-Update, Stop, Accounting-On, sent again,
late, reordered) and where our radacct deliberately differs from FreeRADIUS + rlm_sql's.

Each packet names its session by a letter (A, B, C); the test gives each letter a session id
of its own. Times are Event-Timestamp offsets in seconds, so both servers record the same
times whatever the delivery took.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GIGA = {"Acct-Input-Gigawords": 2, "Acct-Input-Octets": 5, "Acct-Output-Gigawords": 1,
        "Acct-Output-Octets": 7}  # 8589934597 in, 4294967303 out
FINAL = {"Acct-Input-Gigawords": 2, "Acct-Input-Octets": 9, "Acct-Output-Gigawords": 1,
         "Acct-Output-Octets": 11}
LOW = {"Acct-Input-Octets": 1, "Acct-Output-Octets": 1}
ALL_COUNTERS = ("acctupdatetime", "acctsessiontime", "acctinputoctets", "acctoutputoctets")

# Why we differ, said once.
FIRST_STOP = "we keep the NAS's first Stop; FreeRADIUS's last stop query rewrites a stopped row"
UPDATE_TIME_ON_START = ("a Start arriving after later counters leaves acctupdatetime at the "
                        "time of those counters; FreeRADIUS moves it back to the Start's time")
START_OF_INTERIM = ("a session first seen in an Interim started Acct-Session-Time before it; "
                    "FreeRADIUS's PostgreSQL query takes the Interim's own time")
NEWEST_COUNTERS = ("an Interim older than the stored one is ignored, so counters never go "
                   "backwards; FreeRADIUS writes whichever arrives last")
REOPEN = ("an Interim after Accounting-On proves the session survived: we reopen the sessions "
          "we closed by inference; FreeRADIUS leaves them closed")
SQLITE_STOPPED = ("FreeRADIUS's SQLite queries, unlike its PostgreSQL ones, let an Interim "
                  "rewrite a stopped session (counters go backwards); we keep the PostgreSQL "
                  "semantics on both databases")
SQLITE_NO_UPDATE_TIME = ("FreeRADIUS's SQLite stop and accounting-on queries leave "
                         "acctupdatetime at the last Interim; its PostgreSQL ones set it to the "
                         "stop time, as we do")


@dataclass(frozen=True)
class Scenario:
    name: str
    packets: list[tuple[str, str, int, dict[str, Any]]]  # status, session letter, time, attrs
    # (session letter, column) -> why; per FreeRADIUS SQL dialect
    differs: dict[str, dict[tuple[str, str], str]] = field(default_factory=dict)


def _each(letter: str, columns: tuple[str, ...], why: str) -> dict[tuple[str, str], str]:
    return {(letter, column): why for column in columns}


STOP = {"Acct-Session-Time": 600, **FINAL, "Acct-Terminate-Cause": "User-Request"}

SCENARIOS = [
    Scenario("start-interim-stop", [
        ("Start", "A", 0, {}),
        ("Interim-Update", "A", 300, {"Acct-Session-Time": 300, **GIGA}),
        ("Stop", "A", 600, STOP),
    ], {"sqlite": _each("A", ("acctupdatetime",), SQLITE_NO_UPDATE_TIME)}),
    Scenario("late-interim-after-stop", [
        ("Start", "A", 0, {}),
        ("Interim-Update", "A", 300, {"Acct-Session-Time": 300, **GIGA}),
        ("Stop", "A", 600, STOP),
        # sent after the Stop with no delay: stamped later than the Stop
        ("Interim-Update", "A", 900, {"Acct-Session-Time": 900, **LOW}),
        ("Start", "B", 0, {}),
        ("Stop", "B", 600, STOP),
        # generated before the Stop, delivered after it
        ("Interim-Update", "B", 450, {"Acct-Session-Time": 450, **LOW}),
    ], {"sqlite": {**_each("A", ALL_COUNTERS, SQLITE_STOPPED),
                   **_each("B", ALL_COUNTERS, SQLITE_STOPPED)}}),
    Scenario("every-packet-sent-twice", [
        ("Start", "A", 0, {}), ("Start", "A", 0, {}),
        ("Interim-Update", "A", 300, {"Acct-Session-Time": 300, **GIGA}),
        ("Interim-Update", "A", 300, {"Acct-Session-Time": 300, **GIGA}),
        ("Stop", "A", 600, STOP), ("Stop", "A", 600, STOP),
    ], {"sqlite": _each("A", ("acctupdatetime",), SQLITE_NO_UPDATE_TIME)}),
    Scenario("a-second-different-stop", [
        ("Start", "A", 0, {}),
        ("Stop", "A", 600, STOP),
        ("Stop", "A", 700, {"Acct-Session-Time": 700, **LOW,
                            "Acct-Terminate-Cause": "Lost-Carrier"}),
    ], {"postgresql": _each("A", (*ALL_COUNTERS, "acctstoptime", "acctterminatecause"),
                            FIRST_STOP),
        "sqlite": {**_each("A", ("acctsessiontime", "acctinputoctets", "acctoutputoctets",
                                 "acctstoptime", "acctterminatecause"), FIRST_STOP),
                   **_each("A", ("acctupdatetime",), SQLITE_NO_UPDATE_TIME)}}),
    Scenario("start-after-stop", [
        ("Stop", "A", 600, STOP),
        ("Start", "A", 0, {}),
    ], {"postgresql": _each("A", ("acctupdatetime",), UPDATE_TIME_ON_START),
        "sqlite": _each("A", ("acctupdatetime",), UPDATE_TIME_ON_START)}),
    Scenario("interim-without-start-then-stop", [
        ("Interim-Update", "A", 300, {"Acct-Session-Time": 300, **GIGA}),
        ("Stop", "A", 600, STOP),
        ("Stop", "B", 600, STOP),  # Start and Interims of B lost
        ("Interim-Update", "B", 900, {"Acct-Session-Time": 900, **LOW}),
    ], {"postgresql": _each("A", ("acctstarttime",), START_OF_INTERIM),
        "sqlite": {**_each("A", ("acctupdatetime",), SQLITE_NO_UPDATE_TIME),
                   **_each("B", ALL_COUNTERS, SQLITE_STOPPED)}}),
    Scenario("interims-out-of-order", [
        ("Start", "A", 0, {}),
        ("Interim-Update", "A", 600, {"Acct-Session-Time": 600, **FINAL}),
        ("Interim-Update", "A", 300, {"Acct-Session-Time": 300, **GIGA}),
    ], {"postgresql": _each("A", ALL_COUNTERS, NEWEST_COUNTERS),
        "sqlite": _each("A", ALL_COUNTERS, NEWEST_COUNTERS)}),
    Scenario("accounting-on", [
        ("Start", "A", 0, {}),
        ("Start", "B", 0, {}),
        ("Stop", "B", 100, {**STOP, "Acct-Session-Time": 100}),
        ("Start", "C", 250, {}),  # overtook the Accounting-On: started after the reboot
        ("Accounting-On", "", 200, {}),
        ("Interim-Update", "A", 300, {"Acct-Session-Time": 300, **GIGA}),
        ("Interim-Update", "B", 300, {"Acct-Session-Time": 300, **GIGA}),
    ], {"postgresql": _each("A", (*ALL_COUNTERS, "acctstoptime", "acctterminatecause"),
                            REOPEN),
        # its SQLite accounting-on query stores no terminate cause, nor do we after reopening
        "sqlite": {**_each("A", ("acctstoptime",), REOPEN),
                   **_each("B", ALL_COUNTERS, SQLITE_STOPPED)}}),
]
