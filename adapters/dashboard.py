"""The coordinators' dashboard: server-rendered pages on ``huddle run``, no passwords.

- ``GET /dashboard/login?t=…`` shows a page with one button; only ``POST
  /dashboard/login`` spends the link (chat apps fetch links to preview them, and a
  preview must not use up someone's one-time link). It starts a session: an HttpOnly,
  Secure, SameSite=Strict cookie (``bot.dashboard_access``).
- ``GET /dashboard?view=report&team=…`` shows a view: the same answers as chat, run for
  the signed-in person through the same parser, role checks and handlers
  (``Bot.run_for_person``), so a champion sees their own team only, and an admin action
  is audited exactly as in chat. Filters are words added to the command (``team:icu``).
- ``POST /dashboard/do`` runs a button's or a form's words, with the session's CSRF token.
- ``POST /dashboard/logout`` ends the session.

No asset comes from another site (a strict Content-Security-Policy says so), pages work
without JavaScript, fit a 360 px screen and print cleanly. No link token is ever logged
(``huddle run`` keeps no access log; this module logs no URL).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlmodel import select

from adapters.html import message_html
from bot import dashboard_access as access
from bot import metrics
from bot.core import Bot
from bot.db import session_scope
from bot.messages import Attachment, Message
from bot.models import Team

log = logging.getLogger("huddle.dashboard")

COOKIE = "huddle_dashboard"
MAX_FORM = 64 * 1024
SUMMARY = "report summary"
#: The most words a download link carries (a period and a few filters).
MAX_WORDS = 200


@dataclass(frozen=True)
class View:
    key: str
    label: str
    #: The chat commands the view runs, in order, as the signed-in person.
    words: tuple[str, ...]
    #: The roles that see it in the menu (the command's own check still applies).
    roles: tuple[str, ...] = access.ROLES
    #: The filters the page offers; each chosen one is added to every command's words as
    #: ``team:icu`` (a period only to ``period_to``, the one command that reads one).
    filters: tuple[str, ...] = ()
    period_to: str = ""
    #: Takes ``page=N`` (added to its command as ``page N``).
    paged: bool = False


SCOPE_FILTERS = ("team", "discipline", "pathway")
VIEWS = (
    View(
        "report",
        "Report",
        ("report summary", "report"),
        filters=(*SCOPE_FILTERS, "period"),
        period_to="report summary",
    ),
    View("roster", "Roster", ("roster",), filters=SCOPE_FILTERS, paged=True),
    View("schedules", "Schedules", ("nudge list", "nudge problems"), roles=("admin", "champion")),
    View("imports", "Imports", ("import list",), roles=("admin", "champion")),
    View("verify", "To verify", ("verify",), roles=("admin", "champion")),
    View("contests", "Contests", ("contest list",)),
    View("comfort", "Comfort", ("survey results",), filters=SCOPE_FILTERS),
    View("measures", "Measures", ("measures",)),
    View("audit", "Audit trail", ("audit",), roles=("admin",)),
)
_BY_KEY = {v.key: v for v in VIEWS}
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
        " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _counted(what: str, handler: Handler) -> Handler:
    """The handler, each answer counted for /metrics by view (a known view's key, never
    anything else from the request) and status."""

    async def counted(request: web.Request) -> web.StreamResponse:
        view = what or request.query.get("view", "report")
        label = view if what or view in _BY_KEY else "other"
        response = await handler(request)
        metrics.DASHBOARD.labels(view=label, status=str(response.status)).inc()
        return response

    return counted


class Dashboard:
    """The dashboard's routes for one bot."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.pages = Environment(
            loader=PackageLoader("adapters", "dashboard_pages"),
            autoescape=select_autoescape(["html"]),
        )

    def mount(self, app: web.Application) -> None:
        app.router.add_get("/dashboard/login", _counted("login", self.login_page))
        app.router.add_post("/dashboard/login", _counted("sign-in", self.login))
        app.router.add_get("/dashboard", _counted("", self.view))
        app.router.add_get(
            r"/dashboard/imports/{run:\d{1,9}}/errors", _counted("errors", self.import_errors)
        )
        app.router.add_get(
            "/dashboard/report/{fmt:(?:xlsx|csv|pdf|html)}", _counted("file", self.report_file)
        )
        app.router.add_post("/dashboard/do", _counted("do", self.do))
        app.router.add_post("/dashboard/logout", _counted("logout", self.logout))

    # --- signing in ---------------------------------------------------------------------

    async def login_page(self, request: web.Request) -> web.Response:
        token = request.query.get("t", "")
        if not token:
            return self._page("refused.html", status=400, why="missing")
        return self._page("login.html", token=token)

    async def login(self, request: web.Request) -> web.Response:
        form = await _form(request)
        if form is None:
            return self._page("refused.html", status=413, why="large")
        token = str(form.get("t", ""))

        def redeem() -> tuple[str, access.Signed]:
            with session_scope(self.bot.engine, write=True) as session:
                key = access.signing_key(session, self.bot.web.dashboard_key, self.bot.clock.now())
                return access.redeem(session, token, key, self.bot.clock.now())

        try:
            cookie, signed = await asyncio.to_thread(redeem)
        except access.LinkRefused as refused:
            log.info("dashboard link refused: %s", refused.why)
            return self._page("refused.html", status=403, why=refused.why)
        log.info("dashboard session started for person %s as %s", signed.person_id, signed.role)
        response = web.Response(status=303, headers={"Location": "/dashboard"})
        response.set_cookie(
            COOKIE,
            cookie,
            httponly=True,
            secure=True,
            samesite="Strict",
            path="/dashboard",
        )
        response.headers.update(HEADERS)
        return response

    async def logout(self, request: web.Request) -> web.Response:
        signed = await self._signed(request)
        form = await _form(request)
        if signed is None or form is None or not access.csrf_ok(signed, str(form.get("csrf"))):
            return self._page("refused.html", status=403, why="csrf")
        cookie = request.cookies.get(COOKIE, "")

        def end() -> None:
            with session_scope(self.bot.engine, write=True) as session:
                access.end(session, cookie, self.bot.clock.now())

        await asyncio.to_thread(end)
        response = self._page("refused.html", why="signed_out")
        response.del_cookie(COOKIE, path="/dashboard")
        return response

    async def _signed(self, request: web.Request) -> access.Signed | None:
        cookie = request.cookies.get(COOKIE, "")
        if not cookie:
            return None

        def find() -> access.Signed | None:
            with session_scope(self.bot.engine, write=True) as session:
                return access.session_for(session, cookie, self.bot.clock.now())

        return await asyncio.to_thread(find)

    # --- pages --------------------------------------------------------------------------

    async def view(self, request: web.Request) -> web.Response:
        signed = await self._signed(request)
        if signed is None:
            return self._page("refused.html", status=401, why="session")
        chosen = _BY_KEY.get(request.query.get("view", "report"), VIEWS[0])
        filters = {k: " ".join(request.query.get(k, "").split()) for k in chosen.filters}
        commands = []
        for words in chosen.words:
            for key, value in filters.items():
                if value and (key != "period" or words == chosen.period_to):
                    words += f" {value}" if key == "period" else f" {_scope_word(key, value)}"
            commands.append(words)
        page = request.query.get("page", "")
        if chosen.paged and page.isdigit() and 0 < int(page) < 10**7:
            commands = [f"{words} page {int(page)}" for words in commands]
        schedule = request.query.get("schedule", "")
        if chosen.key == "schedules" and schedule.isdigit() and len(schedule) < 10:
            commands.insert(0, f"nudge history {int(schedule)}")

        def run() -> list[Message]:
            return [
                a for words in commands for a in self.bot.run_for_person(signed.person_id, words)
            ]

        answers = await asyncio.to_thread(run)
        printable = None
        if chosen.key == "report" and commands and commands[0].startswith(SUMMARY):
            # The printable page: the same report with its charts as SVG, to print or save.
            printable = link("report html" + commands[0][len(SUMMARY) :])
        return self._answers(signed, chosen, answers, filters, printable=printable)

    async def import_errors(self, request: web.Request) -> web.StreamResponse:
        """An import's refused rows as a download: the file the chat's ``import errors N``
        gives this person (its own check: whoever ran the import, or an admin), never a
        file found by its id alone."""
        signed = await self._signed(request)
        if signed is None:
            return self._page("refused.html", status=401, why="session")
        run = int(request.match_info["run"])
        answers = await asyncio.to_thread(
            self.bot.run_for_person, signed.person_id, f"import errors {run}"
        )
        attachment = next((b for m in answers for b in m.blocks if isinstance(b, Attachment)), None)
        stored = (
            await asyncio.to_thread(self.bot.stored_file, attachment.file_id)
            if attachment is not None
            else None
        )
        if stored is None:  # not theirs, no such import, or no refused rows (kept)
            return self._answers(signed, None, answers, {}, status=404)
        log.info("dashboard: import %s's refused rows sent to person %s", run, signed.person_id)
        return _download(stored, inline=False)

    async def report_file(self, request: web.Request) -> web.StreamResponse:
        """The report as a file (Excel, CSV, PDF) or as its printable page (HTML, with the
        charts as SVG), made by the chat's ``report <format> <words>`` for this person, so
        what it covers is what they may see."""
        signed = await self._signed(request)
        if signed is None:
            return self._page("refused.html", status=401, why="session")
        fmt = request.match_info["fmt"]
        words = " ".join(request.query.get("words", "").split())[:MAX_WORDS]
        answers = await asyncio.to_thread(
            self.bot.run_for_person, signed.person_id, f"report {fmt} {words}".strip()
        )
        attachment = next((b for m in answers for b in m.blocks if isinstance(b, Attachment)), None)
        stored = (
            await asyncio.to_thread(self.bot.stored_file, attachment.file_id)
            if attachment is not None
            else None
        )
        if stored is None:  # refused, or words that name no period or team
            return self._answers(signed, _BY_KEY["report"], answers, {}, status=404)
        return _download(stored, inline=fmt == "html")

    async def do(self, request: web.Request) -> web.Response:
        signed = await self._signed(request)
        if signed is None:
            return self._page("refused.html", status=401, why="session")
        form = await _form(request)
        if form is None:
            return self._page("refused.html", status=413, why="large")
        if not access.csrf_ok(signed, str(form.get("csrf", ""))):
            log.warning("dashboard write without a valid CSRF token refused")
            return self._page("refused.html", status=403, why="csrf")
        words = str(form.get("command", "")).strip()
        if "form" in form:  # a form: its command with each {field} filled in
            words = str(form["form"])
            for key, value in form.items():
                if key.startswith("field."):
                    words = words.replace("{" + key[6:] + "}", " ".join(str(value).split()))
        if not words or "\n" in words:
            return self._page("refused.html", status=400, why="words")
        answers = await asyncio.to_thread(self.bot.run_for_person, signed.person_id, words)
        return self._answers(signed, None, answers, {})

    def _answers(
        self,
        signed: access.Signed,
        chosen: View | None,
        answers: list[Message],
        filters: dict[str, str],
        status: int = 200,
        printable: str | None = None,
    ) -> web.Response:
        teams = self._teams(signed)
        return self._page(
            "view.html",
            status=status,
            printable=printable,
            signed=signed,
            views=[v for v in VIEWS if signed.role in v.roles],
            chosen=chosen,
            filters=filters,
            teams=teams,
            answers=[message_html(m, "/dashboard/do", signed.csrf, link=link) for m in answers],
        )

    def _teams(self, signed: access.Signed) -> list[tuple[str, str]]:
        """The teams a filter may name: every team for admins and senior leaders, one's own
        for a champion."""
        with session_scope(self.bot.engine) as session:
            query = select(Team).order_by(Team.name)
            if signed.role == "champion":
                query = query.where(Team.id == (signed.team_id or 0))
            return [(t.key, t.name) for t in session.exec(query)]

    def _page(self, name: str, status: int = 200, **values: Any) -> web.Response:
        html = self.pages.get_template(name).render(
            initiative=self.bot.content.initiative, **values
        )
        return web.Response(
            text=html, status=status, content_type="text/html", charset="utf-8", headers=HEADERS
        )


def _download(stored: tuple[str, str, bytes], inline: bool) -> web.Response:
    """A kept file as the answer: saved as a file (or, ``inline``, shown: the printable
    page, under the same strict Content-Security-Policy), never cached."""
    name, media_type, data = stored
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "download"
    how = "inline" if inline else "attachment"
    return web.Response(
        body=data,
        content_type=media_type,
        headers={
            **HEADERS,
            "Content-Disposition": f"{how}; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store, private",
            "Pragma": "no-cache",
        },
    )


def _scope_word(kind: str, value: str) -> str:
    return f'{kind}:"{value}"' if " " in value else f"{kind}:{value}"


_IMPORT_ERRORS = re.compile(r"import errors (\d{1,9})")
_REPORT_FILE = re.compile(r"report (xlsx|csv|pdf|html)((?: \S+)*)")
_HISTORY = re.compile(r"nudge history (\d{1,9})")
_ROSTER_PAGE = re.compile(r"roster((?: (?:team|discipline|pathway):\S+)*) page (\d{1,7})")


def link(words: str) -> str | None:
    """Where a button's words (or a file's ``again``) lead as a plain link, for those
    that only show something: a download of an import's refused rows, a schedule's
    history, another page of the roster. Anything else stays a form that posts its words."""
    if found := _IMPORT_ERRORS.fullmatch(words):
        return f"/dashboard/imports/{found.group(1)}/errors"
    if found := _REPORT_FILE.fullmatch(words):
        rest = found.group(2).strip()
        return f"/dashboard/report/{found.group(1)}" + (
            f"?{urlencode({'words': rest})}" if rest else ""
        )
    if found := _HISTORY.fullmatch(words):
        return "/dashboard?" + urlencode({"view": "schedules", "schedule": found.group(1)})
    if found := _ROSTER_PAGE.fullmatch(words):
        query = {"view": "roster"}
        for part in found.group(1).split():
            kind, value = part.split(":", 1)
            query[kind] = value
        query["page"] = found.group(2)
        return "/dashboard?" + urlencode(query)
    return None


async def _form(request: web.Request) -> dict[str, Any] | None:
    """The posted form, or None when it is larger than any dashboard form can be."""
    if request.content_length is not None and request.content_length > MAX_FORM:
        return None
    try:
        return dict(await request.post())
    except ValueError:
        return {}
