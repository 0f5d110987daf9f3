"""A Jinja sandbox with a budget, for templates that tenants write.

ImmutableSandboxedEnvironment already refuses internals (`__class__`, `_private`, unsafe
callables) and mutation of lists and dicts. On top of it every render gets a budget
(`budget()`): loop rounds, calls, filters, operators and output expressions each spend a step,
the render stops past MAX_STEPS or MAX_SECONDS, and the text a render builds (including text
captured by `{% set %}` blocks and macros) is counted against MAX_PRODUCED_CHARS. Operations
that can multiply a value (`*`, `**`, `~`, `replace`, `center`, `join`, `%` formats ...) are
checked before they run, so a template cannot make the process spin or swell.
"""

from __future__ import annotations

import functools
import operator
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from jinja2 import nodes, pass_context, pass_environment, pass_eval_context
from jinja2.exceptions import TemplateSyntaxError
from jinja2.runtime import markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.visitor import NodeTransformer

MAX_VALUE_CHARS = 200_000  # one value (a string, or a list counted deeply)
MAX_PRODUCED_CHARS = 1_000_000  # all text one render builds, in every buffer
MAX_SEQUENCE = 10_000
MAX_INT_BITS = 4096
MAX_STEPS = 50_000
MAX_SECONDS = 1.0
_UNSAFE_GLOBALS = ("range", "lipsum", "cycler", "joiner", "namespace", "dict")
_LOOP, _CONCAT = "budget loop", "budget concat"  # not valid filter names in template source
_FORMAT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_FORMAT_SPEC = re.compile(r"\{[^{}]*?(?::([^{}]*))?\}")
_NUMBER = re.compile(r"\d+")


class BudgetExceeded(SecurityError):
    """The template needs more work or memory than a notification may take."""


class Budget:
    def __init__(self) -> None:
        self.steps = 0
        self.produced = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def step(self, produced: int = 0) -> None:
        self.steps += 1
        self.produced += produced
        if self.steps > MAX_STEPS:
            raise BudgetExceeded(f"the template takes more than {MAX_STEPS} steps (loop "
                                 "rounds, calls, filters) to render")
        if self.produced > MAX_PRODUCED_CHARS:
            raise BudgetExceeded(f"the template builds more than {MAX_PRODUCED_CHARS} "
                                 "characters of text")
        if time.monotonic() > self.deadline:
            raise BudgetExceeded(f"the template takes too long to render (over "
                                 f"{MAX_SECONDS:g} s)")


_CURRENT: ContextVar[Budget | None] = ContextVar("template_budget", default=None)


@contextmanager
def budget() -> Iterator[Budget]:
    """Give the renders inside the block one shared budget (an enclosing block's, if any)."""
    current = _CURRENT.get()
    if current is not None:
        yield current
        return
    spent = Budget()
    token = _CURRENT.set(spent)
    try:
        yield spent
    finally:
        _CURRENT.reset(token)


def _step(produced: int = 0) -> None:
    spent = _CURRENT.get()
    if spent is None:  # rendered outside budget(): a programming error, not tenant input
        raise BudgetExceeded("templates render only inside a budget")
    spent.step(produced)


def size(value: Any, limit: int = MAX_VALUE_CHARS) -> int:
    """The characters a value takes as text, counted into containers; stops past `limit`."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, bool) or value is None:
        return 5
    if isinstance(value, int):
        return value.bit_length() // 3 + 1
    if isinstance(value, Decimal | float):
        return 32
    if isinstance(value, Mapping):
        value = [item for pair in value.items() for item in pair]
    if isinstance(value, list | tuple | set | frozenset):
        total = 2
        for item in value:
            total += size(item, limit - total) + 2
            if total > limit:
                return total
        return total
    return 16


def check_size(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) \
            and value.bit_length() > MAX_INT_BITS:
        raise BudgetExceeded(f"templates may not build numbers above {MAX_INT_BITS} bits")
    if size(value) > MAX_VALUE_CHARS:
        raise BudgetExceeded(f"templates may not build values longer than {MAX_VALUE_CHARS} "
                             "characters")
    return value


def _refuse_longer(estimate: int) -> None:
    if estimate > MAX_VALUE_CHARS:
        raise BudgetExceeded(f"templates may not build values longer than {MAX_VALUE_CHARS} "
                             "characters")


def _check_printf(fmt: Any) -> None:
    if isinstance(fmt, str | bytes):
        text = fmt if isinstance(fmt, str) else fmt.decode("latin-1")
        for width, precision in _FORMAT_FIELD.findall(text):
            for number in (width, precision):
                if number == "*" or (number and int(number) > MAX_VALUE_CHARS):
                    raise BudgetExceeded("format widths in templates are limited to "
                                         f"{MAX_VALUE_CHARS}")


def _check_format_spec(fmt: Any) -> None:
    if isinstance(fmt, str):
        for spec in _FORMAT_SPEC.findall(fmt.replace("{{", "").replace("}}", "")):
            if any(int(n) > MAX_VALUE_CHARS for n in _NUMBER.findall(spec)):
                raise BudgetExceeded("format widths in templates are limited to "
                                     f"{MAX_VALUE_CHARS}")
        if re.search(r"\{[^{}]*\{", fmt.replace("{{", "")):
            raise BudgetExceeded("nested format fields are not allowed in templates")


def _width(value: Any) -> int:
    return value if isinstance(value, int) else size(value)


def _text(value: Any) -> Any:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _replaced(s: Any, old: Any, new: Any, *_: Any) -> int:
    s, old, new = _text(s), _text(old), _text(new)
    if not (isinstance(s, str) and isinstance(old, str) and isinstance(new, str)):
        return size(s) + size(new)
    hits = s.count(old) if old else len(s) + 1
    return len(s) + hits * max(len(new) - len(old), 0)


def _joined(sep: Any, items: list[Any]) -> int:
    return size(sep) * len(items) + sum(size(item) for item in items)


# Estimates of the result's size, taken before a growing string method runs.
_METHODS: dict[str, Callable[..., int]] = {
    "replace": _replaced,
    "center": lambda s, width=0, *_: _width(width) + len(s),
    "ljust": lambda s, width=0, *_: _width(width) + len(s),
    "rjust": lambda s, width=0, *_: _width(width) + len(s),
    "zfill": lambda s, width=0, *_: _width(width) + len(s),
    "expandtabs": lambda s, tabsize=8, *_: len(s) + _text(s).count("\t") * _width(tabsize),
    "to_bytes": lambda n, length=1, *_: _width(length),
}
_REFUSED_METHODS = frozenset({"translate", "maketrans", "format_map"})


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox without range() and with every step counted and sized."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any):
        super().__init__(finalize=_emit, **options)
        for name in _UNSAFE_GLOBALS:
            self.globals.pop(name, None)
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items()}
        self.filters[_LOOP] = _loop_budget
        self.filters[_CONCAT] = _concat_budget

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = _Budgeted().visit(super()._parse(source, name, filename))
        tree.set_environment(self)
        return tree

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        _step()
        if op == "**":
            if isinstance(right, int | float) and abs(right) > 64:
                raise SecurityError("exponents above 64 are not allowed in templates")
            if isinstance(left, int) and isinstance(right, int) \
                    and left.bit_length() * max(right, 0) > MAX_INT_BITS:
                raise BudgetExceeded(f"templates may not build numbers above {MAX_INT_BITS} "
                                     "bits")
            return operator.pow(left, right)
        if op == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | bytes | list | tuple) and isinstance(times, int) \
                        and len(seq) * times > MAX_SEQUENCE:
                    raise SecurityError("templates may not build sequences that long")
                if isinstance(seq, str | bytes | list | tuple) and isinstance(times, int):
                    _refuse_longer(size(seq) * times)
            if isinstance(left, int) and isinstance(right, int) \
                    and left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise BudgetExceeded(f"templates may not build numbers above {MAX_INT_BITS} "
                                     "bits")
            return check_size(operator.mul(left, right))
        if op == "%":
            _check_printf(left)
            if isinstance(left, str | bytes):
                _refuse_longer(size(left) + size(right))
            return check_size(operator.mod(left, right))
        if isinstance(left, str | bytes | list | tuple):
            _refuse_longer(size(left) + size(right))
        return check_size(operator.add(left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _step()
        target = getattr(__obj, "__wrapped__", __obj)
        owner = getattr(target, "__self__", None)
        name = getattr(target, "__name__", "")
        if isinstance(owner, str | bytes | int) and not isinstance(owner, bool):
            if name in _REFUSED_METHODS:
                raise SecurityError(f"{name}() is not allowed in templates")
            if name in ("format", "format_map"):
                _check_format_spec(owner)
            if name == "join" and args:
                items = list(args[0]) if isinstance(args[0], Iterable) else []
                _refuse_longer(_joined(owner, items))
                args = (items, *args[1:])
            estimate = _METHODS.get(name)
            if estimate is not None:
                _refuse_longer(estimate(owner, *args, *kwargs.values()))
        _refuse_longer(sum(size(a) for a in args) + sum(size(v) for v in kwargs.values()))
        return check_size(super().call(__context, __obj, *args, **kwargs))


# Estimates for the built-in filters that can grow a value (arguments after the value).
def _filter_estimate(name: str, value: Any, args: tuple[Any, ...],
                     kwargs: dict[str, Any]) -> int:
    def arg(position: int, key: str, default: Any) -> Any:
        return args[position] if len(args) > position else kwargs.get(key, default)

    if name == "replace":
        return _replaced(value, arg(0, "old", ""), arg(1, "new", ""))
    if name == "center":
        return size(value) + _width(arg(0, "width", 80))
    if name == "indent":
        lines = str(value).count("\n") + 1
        return size(value) + lines * _width(arg(0, "width", 4))
    if name == "wordwrap":
        width = arg(0, "width", 79)
        wrap = arg(2, "wrapstring", None) or "\n"
        return size(value) * (1 + size(wrap) // max(_width(width), 1) + 1)
    if name == "format":
        _check_printf(value)
    if name in ("batch", "slice"):
        count = arg(0, "linecount" if name == "batch" else "slices", 1)
        if isinstance(count, int) and count > MAX_SEQUENCE:
            raise BudgetExceeded(f"{name} is limited to {MAX_SEQUENCE} in templates")
    return size(value) + sum(size(a) for a in args) + sum(size(v) for v in kwargs.values())


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    passes = getattr(func, "jinja_pass_arg", None)

    @functools.wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _step()
        first = 1 if passes is not None else 0
        value, rest = (args[first], args[first + 1:]) if len(args) > first else (None, ())
        if name == "join" and isinstance(value, Iterable) and not isinstance(value, str):
            value = list(value)
            args = (*args[:first], value, *rest)
            sep = rest[0] if rest else kwargs.get("d", "")
            _refuse_longer(_joined(sep, value))
        else:
            _refuse_longer(_filter_estimate(name, value, rest, kwargs))
        return check_size(func(*args, **kwargs))

    return bounded


@pass_context
def _emit(context: Any, value: Any) -> Any:
    """Every `{{ expression }}` counts what it writes, into whichever buffer it goes."""
    _step(size(value, MAX_PRODUCED_CHARS))
    return value


@pass_environment
def _loop_budget(environment: Any, iterable: Any, literal_chars: int = 0) -> Iterator[Any]:
    for item in iterable:
        _step(max(literal_chars, 0))
        yield item


@pass_eval_context
def _concat_budget(eval_ctx: Any, parts: list[Any]) -> str:
    _step()
    _refuse_longer(sum(size(part) for part in parts))
    joined = markup_join(parts) if eval_ctx.autoescape else str_join(parts)
    return check_size(joined)


class _Budgeted(NodeTransformer):
    """Route every loop and every `~` through the budget filters."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        if node.recursive:
            raise TemplateSyntaxError("recursive loops are not allowed in templates",
                                      node.lineno)
        literal = sum(len(data.data) for part in node.body
                      for data in part.find_all(nodes.TemplateData))
        node.iter = nodes.Filter(node.iter, _LOOP, [nodes.Const(literal)], [], None, None,
                                 lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Filter(nodes.List(node.nodes, lineno=node.lineno), _CONCAT, [], [],
                            None, None, lineno=node.lineno)
