"""我的工作台: each domain registers a provider that, for the acting user, returns one section of to-dos
and figures (or None when it has nothing for this user). The workbench page collects them in order.

A domain registers in its `receivers.py` (imported automatically by create_app):

    from ..core import workbench

    @workbench.provider(order=40)
    def my_section(actor):
        if actor.role != "company":
            return None
        return workbench.Section("揭榜挂帅", todos=[workbench.Todo("待提交的榜单", 2, url_for(...))],
                                 figures=[workbench.Figure("已发布榜单", "3")])

`core/` imports no domain package: the providers come to it.
"""
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Todo:
    label: str              # 待审核的成果
    count: int
    url: str
    urgent: bool = False    # overdue or blocking someone else: shown first, in red


@dataclass
class Figure:
    label: str              # 本年成交额
    value: str              # already formatted for people (万元, 项)
    url: str | None = None


@dataclass
class Section:
    title: str
    todos: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    links: list = field(default_factory=list)   # [(label, url)] shortcuts for this role


_PROVIDERS: list[tuple[int, str, Callable]] = []


def provider(order: int = 50):
    """Register fn(actor) -> Section | None. `order` places the section on the page (lower first)."""
    def register(fn):
        key = f"{fn.__module__}.{fn.__qualname__}"
        if key not in {k for _, k, _ in _PROVIDERS}:
            _PROVIDERS.append((order, key, fn))
            _PROVIDERS.sort(key=lambda p: (p[0], p[1]))
        return fn
    return register


def collect(actor) -> list[Section]:
    """Every registered section that has something for this actor, in order."""
    out = []
    for _, _, fn in _PROVIDERS:
        section = fn(actor)
        if section is not None:
            out.append(section)
    return out
