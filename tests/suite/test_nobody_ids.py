"""Identifiers that name nobody (contract rules 3 and 11): numbers no server reading makes a positive
32-bit CustomerId, which the guard admits in a GET, and nothing else it admits more than before."""

from __future__ import annotations

import ctypes
import json

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qflow_contracts.suite.http import Policy, UnsafeRequest, names_nobody

INT32_MAX = 2**31 - 1


def _readings(number: int) -> set[int]:
    """What a server could take `number` for, computed by C's own integer types: the number, its
    double, and each cut to 32 or 64 bits, signed and unsigned (of the number and of its double)."""
    wholes = {number}
    if abs(number) < 2**1000:
        wholes.add(int(float(number)))
    readings = set(wholes)
    for whole in wholes:
        for kind in (ctypes.c_int32, ctypes.c_uint32, ctypes.c_int64, ctypes.c_uint64):
            readings.add(kind(whole).value)
    return readings


@settings(max_examples=2000, deadline=None)
@given(
    st.one_of(
        st.integers(-(2**70), 2**70),
        st.integers(-5, 5).map(lambda k: k * 2**32 + 1),
        st.integers(-4, 4).flatmap(lambda k: st.integers(k * 2**32 - 2**31 - 3, k * 2**32 - 2**31 + 3)),
        st.integers(-3, 3).flatmap(lambda k: st.integers(k * 2**63 - 3, k * 2**63 + 3)),
    )
)
def test_an_admitted_number_is_no_positive_int32_under_any_reading(number: int) -> None:
    if names_nobody(str(number)):
        assert not any(0 < reading <= INT32_MAX for reading in _readings(number)), number


@pytest.mark.parametrize("number", [0, -1, -(2**31), 2**31, 2**32, 2**63, -(2**63), 2**64, 2**31 + 2**32])
def test_zero_negatives_and_numbers_beyond_32_bits_that_wrap_to_nobody_are_admitted(number: int) -> None:
    assert names_nobody(str(number))


@pytest.mark.parametrize(
    "text",
    [
        str(2**32 + 5),  # 5 in 32 bits
        str(-(2**32) + 7),  # 7 in 32 bits
        str(-(2**31) - 1),  # 2**31 - 1 in 32 bits
        str(2**64 + 101),  # 101 in 32 and 64 bits
        "1",
        str(INT32_MAX),
        "0007",
        "+5",
        "-0",
        " 0",
        "0 ",
        "\u0661",  # an Arabic-Indic one: a digit to int() and to .NET's char.IsDigit
        "1" * 41,
        "",
        "abc",
    ],
)
def test_what_could_name_a_customer_or_is_not_the_canonical_text_of_a_number_is_not(text: str) -> None:
    assert not names_nobody(text)


def _policy() -> Policy:
    return Policy(base_path="/API", readable=frozenset({101, 104}), patchable=frozenset({101}))


def _get(path: str) -> httpx.Request:
    return httpx.Request("GET", f"http://h/API/{path}")


@pytest.mark.parametrize("number", ["0", "-1", str(2**31), str(2**63)])
def test_the_guard_lets_through_a_get_by_a_number_that_names_nobody(number: str) -> None:
    _policy().check(_get(f"Customers/{number}"))


@pytest.mark.parametrize(
    "path",
    [
        f"Customers/{2**32 + 5}",
        f"Customers/{2**32 + 101}",
        "Customers/0007",
        "Customers/-1?idType=3",  # a PersonalId "-1" of type 3: someone's, perhaps
        "Customers/0?idTypeExtRef=NID",
    ],
)
def test_the_guard_still_refuses_a_number_that_may_name_someone(path: str) -> None:
    with pytest.raises(UnsafeRequest):
        _policy().check(_get(path))


@pytest.mark.parametrize("number", [0, -1, 2**31, 2**63])
def test_a_patch_by_such_a_number_with_a_change_is_still_no_patch_of_anyone(number: int) -> None:
    """The PATCH side is unchanged: a body naming nobody by CustomerId and nobody by PersonalId."""
    body = json.dumps({"CustomerId": number, "PersonalId": "someone"}).encode()
    request = httpx.Request(
        "PATCH", "http://h/API/Customers", content=body, headers={"Content-Type": "application/json"}
    )
    with pytest.raises(UnsafeRequest):
        _policy().check(request)
