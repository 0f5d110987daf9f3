"""Numbers as people read them on a page."""

from __future__ import annotations

_EXACT_BELOW = 10**12
_NEAR = 10**6
_MAX_TERMS = 3


def readable_count(n: int) -> str:
    """A count of addresses or prefixes: grouped digits up to a trillion, beyond that powers
    of two, as IPv6 sizes are spoken (a /48 holds 2^80 addresses), never 3.09e+26."""
    n = int(n)
    if abs(n) < _EXACT_BELOW:
        return f"{n:,}"
    k = n.bit_length() - 1
    below = (1 << (k + 1)) - n
    if below < _NEAR:  # a whole block less a few reserved addresses
        return f"2^{k + 1} - {below:,}" if below else f"2^{k + 1}"
    terms: list[str] = []
    rest = n
    while rest >= _EXACT_BELOW and len(terms) < _MAX_TERMS:
        top = rest.bit_length() - 1
        terms.append(f"2^{top}")
        rest -= 1 << top
    if rest < _EXACT_BELOW:  # a few blocks (prefixes in use) and a small remainder
        return " + ".join(terms + ([f"{rest:,}"] if rest else []))
    return f"≈ {n / (1 << k):.2f} x 2^{k}"
