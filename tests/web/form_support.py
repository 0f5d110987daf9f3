"""Reading a rendered form as a person does: which error sits beside which field."""

from __future__ import annotations

from html.parser import HTMLParser

from fastapi.testclient import TestClient
from httpx import Response

_CONTROLS = ("input", "select", "textarea")


class _Walk(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.last_field: tuple[str, str] | None = None  # (name, id) of the last control
        self.beside: dict[str, list[str]] = {}
        self.general: list[str] = []
        self.values: dict[str, str] = {}
        self._open: tuple[str, tuple[str, str] | None] | None = None  # (for, control before)
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in _CONTROLS and a.get("name") and a.get("type") != "hidden":
            self.last_field = (str(a["name"]), str(a.get("id") or ""))
            if tag == "input" and a.get("value") is not None:
                self.values[str(a["name"])] = str(a["value"])
        if "data-error-for" in a:
            self._open = (a["data-error-for"] or "", self.last_field)
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is None or tag not in ("span", "p"):
            return
        target, before = self._open
        text = "".join(self._text).strip()
        if not target:
            self.general.append(text)
        else:
            # beside its field: the last control before the message is that field (a page
            # with two forms tells same-named fields apart by the form's prefix or the id)
            assert before is not None and (target in before or target.endswith(
                "_" + before[0])), f"error for {target!r} follows field {before!r}: {text}"
            self.beside.setdefault(target, []).append(text)
        self._open = None


def read_form(html: str) -> _Walk:
    walk = _Walk()
    walk.feed(html)
    return walk


def errors_beside(html: str) -> dict[str, list[str]]:
    """Each field's error lines, checked to sit right after that field."""
    return read_form(html).beside


def csrf(client: TestClient, path: str) -> str:
    from tests.web.test_admin_pages import csrf_of
    return csrf_of(client.get(path).text)


def assert_beside(page: Response, expected: dict[str, str]) -> dict[str, list[str]]:
    """Each field named has an error beside it starting with the given label."""
    assert page.status_code == 422, page.text[:500]
    found = errors_beside(page.text)
    for field, label in expected.items():
        assert field in found, f"no error beside {field!r}; found {found}"
        assert all(line.startswith(f"{label}:") for line in found[field]), found[field]
    return found
