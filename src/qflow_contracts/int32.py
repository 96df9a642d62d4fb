"""The 32-bit integer of the spec's `format: int32` (and .NET's `int`): its bounds, and the number a
wider one wraps to. Shared by the mock, the suite and the settings, so each reads one range."""

from __future__ import annotations

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def is_int32(number: float) -> bool:
    """Whether `number` is from INT32_MIN up to, not including, 2**31 (an integer: one of 32 bits)."""
    return INT32_MIN <= number < INT32_MAX + 1


def wrap32(number: int) -> int:
    """The 32-bit integer `number` wraps to (two's complement), as a server that truncates reads it;
    a number within 32 bits is itself."""
    return (number - INT32_MIN) % 2**32 + INT32_MIN
