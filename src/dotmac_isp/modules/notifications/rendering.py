"""Template rendering in Jinja's sandbox: tenants write templates, so a template may read the
context it is given and nothing else, and cannot make the process spin or swell."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import ChainableUndefined, StrictUndefined, Template

from dotmac_isp.modules.notifications.sandbox import BoundedSandbox, budget
from dotmac_isp.shared.errors import ValidationFailed

MAX_SOURCE_CHARS = 20_000
MAX_OUTPUT_CHARS = 200_000


def _env(html: bool, strict: bool) -> BoundedSandbox:
    return BoundedSandbox(autoescape=html, keep_trailing_newline=True,
                          undefined=StrictUndefined if strict else ChainableUndefined)


_ENVS = {(html, strict): _env(html, strict) for html in (False, True) for strict in (False, True)}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


class RenderError(Exception):
    """A template failed to render (syntax, unknown name, or a sandbox refusal)."""


@lru_cache(maxsize=512)
def _compiled(source: str, html: bool, strict: bool) -> Template:
    """A template's compiled form, by its source: a bulk send compiles each part once."""
    return _ENVS[(html, strict)].from_string(source)


def _render_one(source: str, context: dict[str, Any], *, html: bool, strict: bool) -> str:
    if len(source) > MAX_SOURCE_CHARS:
        raise RenderError(f"the template is longer than {MAX_SOURCE_CHARS} characters")
    try:
        with budget():
            template = _compiled(source, html, strict)
            return _bounded(template.generate(**context))
    except Exception as exc:  # the template is tenant input: any failure is theirs to fix
        raise RenderError(str(exc) or exc.__class__.__name__) from exc


def _bounded(chunks: Iterator[str]) -> str:
    out, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_OUTPUT_CHARS:
            raise RenderError(f"the rendered message is longer than {MAX_OUTPUT_CHARS} "
                              "characters")
        out.append(chunk)
    return "".join(out)


def render(subject: str, text: str, html: str | None, context: dict[str, Any], *,
           strict: bool = False) -> Rendered:
    """Render the three parts; the subject becomes one line of at most 255 characters."""
    with budget():
        line = " ".join(_render_one(subject, context, html=False, strict=strict).split())
        return Rendered(
            subject=line[:255], text=_render_one(text, context, html=False, strict=strict),
            html=_render_one(html, context, html=True, strict=strict) if html else None)


def check(subject: str, text: str, html: str | None, sample: dict[str, Any]) -> Rendered:
    """Render strictly against the event's sample context; a clear 422 on any problem."""
    with budget():
        for part, source in (("subject", subject), ("body_text", text),
                             ("body_html", html)):
            if source is None:
                continue
            try:
                _render_one(source, sample, html=part == "body_html", strict=True)
            except RenderError as exc:
                raise ValidationFailed(f"{part}: {exc}") from exc
        try:
            return render(subject, text, html, sample)
        except RenderError as exc:
            raise ValidationFailed(str(exc)) from exc
