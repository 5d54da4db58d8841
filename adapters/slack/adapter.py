"""The Bolt app: direct messages, @mentions, ``/huddle``, buttons and the App Home.

Every request is acknowledged first (Bolt answers Slack within its 3-second
limit) and the work happens after: the core runs in a worker thread, and the
answers go back the way the request came (a DM, a thread, an ephemeral reply
through ``response_url``). A clicked message is updated at once so its
buttons cannot be pressed again. Events Slack retries are acted on once, by
the event ids recorded in the database. Slack's refusals (``not_in_channel``,
``channel_not_found``, ``account_inactive``, ``is_archived``) are logged and
kept for the admins' summary; they never crash a handler.

Files sent in a DM (an export or a roster to import) are looked up with
``files.info`` (Slack Connect files come without URLs), fetched with the bot
token into a private temporary folder within the size limit, and handed to the
core with the words that came with them; the import itself runs on the work
pool after the first answer. Files the core sends back (an import's refused
rows) are uploaded into the person's DM in ``files_upload_v2``'s three steps.

With several workspaces (``HUDDLE_SLACK_CLIENT_ID``), the same app also serves Slack's
OAuth flow (``/slack/install`` and ``/slack/oauth_redirect``) and keeps each workspace's
installation in the database (:mod:`adapters.slack.installations`). Bolt finds the
installation of every request's workspace, rotating its token when it is about to
expire, and every call made while answering uses that workspace's client (a context
variable holds it for the task, so the answer's sends, the profile look-ups and the
App Home all go to the right workspace). ``app_uninstalled`` and ``tokens_revoked``
delete the workspace's installation and give up what was waiting to be sent there.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError, SlackRequestError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.base import CoreRunner
from adapters.files import FileProblem, Received, download, too_large
from adapters.slack import installations, render, translate
from adapters.slack.settings import SlackSettings
from bot.core import Bot
from bot.messages import Attachment, Incoming, Mention, Outgoing, Picture, Reply, Via
from bot.templates import Markdown

log = logging.getLogger("huddle.slack")

PLATFORM = translate.PLATFORM
#: Slack's answers that mean "this message can never be delivered as addressed".
REFUSALS = frozenset({"not_in_channel", "channel_not_found", "account_inactive", "is_archived"})
PROFILE_TTL = 3600.0
UNKNOWN_PROFILE_TTL = 300.0
RATE_LIMIT_RETRIES = 3
#: At most this many files of one message are taken (Slack allows ten).
MAX_FILES = 10
UPLOAD_TIMEOUT = aiohttp.ClientTimeout(total=300, sock_connect=30)


class SlackSetupError(Exception):
    """Slack settings that cannot work; the message names the setting to fix."""


@dataclass(frozen=True)
class Profile:
    """What Huddle needs from a Slack user's profile."""

    email: str | None
    timezone: str | None
    name: str


PlaceKind = Literal["dm", "mention", "command", "click", "click_ephemeral", "home"]


@dataclass(frozen=True)
class Place:
    """Where a request came from, so private answers go back the same way."""

    kind: PlaceKind
    user_id: str
    channel_id: str | None = None
    thread_ts: str | None = None
    response_url: str | None = None
    #: A /huddle command's trigger_id: a form in the answer opens as a modal at once.
    trigger_id: str | None = None


class Profiles:
    """users.info, looked up once per user and cached (shorter for failures); through
    the client of the workspace being answered (``client()``)."""

    def __init__(
        self, client: Callable[[], AsyncWebClient], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._clock = clock
        self._cache: dict[str, tuple[float, Profile]] = {}

    async def get(self, user_id: str) -> Profile:
        now = self._clock()
        cached = self._cache.get(user_id)
        if cached and cached[0] > now:
            return cached[1]
        try:
            client = self._client()
            response = await client.users_info(user=user_id)
            user = response.get("user") or {}
            profile = user.get("profile") or {}
            found = Profile(
                email=(profile.get("email") or None),
                timezone=user.get("tz") or None,
                name=profile.get("display_name") or profile.get("real_name") or user_id,
            )
            ttl = PROFILE_TTL
        except SlackApiError as exc:
            log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
            found, ttl = Profile(None, None, user_id), UNKNOWN_PROFILE_TTL
        self._cache[user_id] = (now + ttl, found)
        return found


def web_client(settings: SlackSettings) -> AsyncWebClient:
    """The Web API client: retries connection errors, and 429s after Retry-After."""
    return installations.WebClient(
        token=settings.bot_token or None,
        base_url=settings.api_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    )


#: The Web API client of the workspace a task is answering (several workspaces), set
#: once Bolt has authorised the request; unset, the app's own client is used.
_REQUEST_CLIENT: contextvars.ContextVar[AsyncWebClient | None] = contextvars.ContextVar(
    "slack_request_client", default=None
)


#: A request from Slack has one of these: events, actions and checks a "type", slash
#: commands a "command", Slack's certificate check "ssl_check".
SLACK_KEYS = frozenset({"type", "command", "ssl_check"})


#: Parts of Slack's bodies that are always objects, or lists, when present: Bolt's
#: middleware reads into them without looking first.
SLACK_OBJECTS = ("event", "view", "user", "team", "channel", "container", "message", "enterprise")
SLACK_LISTS = ("actions", "authorizations")


def _slack_shaped(body: dict[str, Any]) -> bool:
    """Whether a parsed body has the shape of something Slack sends: it names what it is
    (an event, a command or an action) and its parts are the kinds Slack's are."""
    return (
        bool(SLACK_KEYS & body.keys())
        and all(isinstance(body.get(key, ""), str) for key in ("type", "command"))
        and all(isinstance(body.get(key, {}), dict) for key in SLACK_OBJECTS)
        and all(isinstance(body.get(key, []), list) for key in SLACK_LISTS)
    )


class SlackAdapter:
    """Huddle's Bolt app and the way its answers reach Slack.

    The core runs off the event loop (see :class:`adapters.base.CoreRunner`);
    one HTTP session is shared by every Web API and response_url call.
    """

    def __init__(self, bot: Bot, settings: SlackSettings) -> None:
        self.bot = bot
        self.settings = settings
        #: The app's own client: the one workspace's, or (several) the OAuth flow's.
        self.app_client = web_client(settings)
        self.profiles = Profiles(lambda: self.client)
        self.runner = CoreRunner(bot)
        self._session: aiohttp.ClientSession | None = None
        #: The bot's own user id (auth.test, else each event's authorizations).
        self.bot_user: str | None = None
        self.installations: installations.InstallationStore | None = None
        oauth: dict[str, Any] = {}
        if settings.multi_workspace:
            self.installations = installations.InstallationStore(settings.client_id, bot.engine)
            oauth = self._oauth(self.installations)
        self.app = AsyncApp(
            client=self.app_client,
            signing_secret=settings.signing_secret or None,
            request_verification_enabled=not settings.socket_mode,
            process_before_response=False,
            **oauth,
        )
        self._socket: Any = None
        # Over HTTP every request is checked with the signing secret; Socket Mode has none.
        self._verifier = (
            SignatureVerifier(settings.signing_secret) if settings.signing_secret else None
        )
        self._register()

    def _oauth(self, store: installations.InstallationStore) -> dict[str, Any]:
        """Bolt's OAuth flow and authorisation on Huddle's database (several workspaces).

        The authorisation is built here, not left to the OAuth settings, so that token
        rotation refreshes through the configured Web API (Bolt's own would use a client
        of its own pointed at slack.com), and so that auth.test results are cached.
        """
        settings = self.settings
        return {
            "oauth_settings": AsyncOAuthSettings(
                client_id=settings.client_id,
                client_secret=settings.client_secret,
                scopes=settings.bot_scopes(),
                user_scopes=[],
                redirect_uri=settings.redirect_url or None,
                install_path=settings.install_path,
                redirect_uri_path=settings.redirect_path,
                authorization_url=settings.authorize_url,
                installation_store=store,
                installation_store_bot_only=False,
                token_rotation_expiration_minutes=settings.token_rotation_minutes,
                state_store=installations.StateStore(
                    settings.state_expiration_seconds, self.bot.engine
                ),
                state_expiration_seconds=settings.state_expiration_seconds,
                logger=log,
            ),
            "authorize": AsyncInstallationStoreAuthorize(
                logger=log,
                installation_store=store,
                client_id=settings.client_id,
                client_secret=settings.client_secret,
                token_rotation_expiration_minutes=settings.token_rotation_minutes,
                client=self.app_client,
                # auth.test once per token, as with one workspace, not on every request (a
                # rotated token is a new key; a revoked one fails at its first call).
                cache_enabled=True,
            ),
        }

    @property
    def client(self) -> AsyncWebClient:
        """The Web API client for what is being done now: the workspace of the request
        being answered (several workspaces), else the app's."""
        return _REQUEST_CLIENT.get() or self.app_client

    def workspace(self, context: AsyncBoltContext | None) -> str:
        """The request's workspace as Huddle's rows name it; blank with one workspace."""
        if context is None or not self.settings.multi_workspace:
            return ""
        return installations.workspace_key(context.enterprise_id, context.team_id)

    # --- lifecycle ----------------------------------------------------------------------

    def _http(self) -> aiohttp.ClientSession:
        """The shared HTTP session, made inside the running event loop on first use."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self.app_client.session = self._session
        return self._session

    async def check(self) -> None:
        """Call auth.test once at start, so a wrong token or URL stops the start clearly.

        With several workspaces there is no one token to test (each request's is tested
        by Bolt as it comes in): api.test, which needs none, shows the URL is Slack's.
        """
        self._http()
        if self.settings.multi_workspace:
            await self._check_api()
            return
        try:
            found = await self.client.auth_test()
            self.bot_user = found.get("user_id") or None
        except SlackApiError as exc:
            raise SlackSetupError(
                f"Slack refused HUDDLE_SLACK_BOT_TOKEN ({exc.response.get('error')}): check the "
                "bot token on the app's OAuth & Permissions page"
            ) from None
        except Exception as exc:  # connection refused, DNS, TLS: all mean the URL is wrong
            raise SlackSetupError(
                f"Cannot reach Slack at HUDDLE_SLACK_API_URL={self.settings.api_url}: {exc}"
            ) from None

    async def _check_api(self) -> None:
        client = self.app_client
        try:
            await client.api_test()
        except SlackApiError as exc:
            raise SlackSetupError(
                f"Slack at HUDDLE_SLACK_API_URL={self.settings.api_url} refused api.test "
                f"({exc.response.get('error')})"
            ) from None
        except Exception as exc:
            raise SlackSetupError(
                f"Cannot reach Slack at HUDDLE_SLACK_API_URL={self.settings.api_url}: {exc}"
            ) from None

    async def handle_http(self, request: web.Request) -> web.Response:
        """POST /slack/events: events, slash commands and interactivity on one URL.

        The signature is checked before anything reads the body, and a signed body
        that is not what Slack sends is refused with a 400: nothing malformed reaches
        Bolt, the core or the database, and the log gets one line, not a traceback.
        """
        self._http()
        _REQUEST_CLIENT.set(None)  # set again once Bolt has authorised this request
        raw = await request.read()
        try:
            # Slack signs UTF-8 text, whatever charset a request claims: bytes that are not
            # UTF-8 cannot carry its signature (nor reach Bolt, which would decode them).
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            log.warning("Slack request refused: the body is not UTF-8 (%s bytes)", len(raw))
            return web.json_response({"error": "invalid signature"}, status=401)
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not (
            self._verifier is not None
            and timestamp.isascii()
            and timestamp.isdigit()
            and self._verifier.is_valid(body, timestamp, signature)
        ):
            log.warning("Slack request refused: missing or wrong signature (%s bytes)", len(body))
            return web.json_response({"error": "invalid signature"}, status=401)
        try:
            parsed = AsyncBoltRequest(
                body=body,
                query=request.query_string,
                headers=request.headers,  # type: ignore[arg-type]
            )
        except Exception as exc:  # bad JSON, or JSON of the wrong shape (a list, a string)
            log.warning(
                "signed Slack request refused: the body does not parse (%s: %s)",
                type(exc).__name__,
                str(exc)[:200],
            )
            return web.json_response({"error": "malformed body"}, status=400)
        if not isinstance(parsed.body, dict) or not _slack_shaped(parsed.body):
            # Every event, command, click and check Slack sends names what it is.
            log.warning("signed Slack request refused: not an event, command or action")
            return web.json_response({"error": "malformed body"}, status=400)
        bolt_response = await self.app.async_dispatch(parsed)
        return await to_aiohttp_response(bolt_response)

    async def handle_oauth(self, request: web.Request) -> web.Response:
        """GET /slack/install and /slack/oauth_redirect: Bolt's OAuth flow (several
        workspaces). The state is checked against the browser's cookie and the database,
        once; a missing or used state, or a code Slack refuses, gets Bolt's failure page."""
        self._http()
        flow = self.app.oauth_flow
        assert flow is not None  # routed only with several workspaces
        bolt_request = await to_bolt_request(request)
        if request.path == flow.install_path:
            bolt_response = await flow.handle_installation(bolt_request)
        else:
            bolt_response = await flow.handle_callback(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def start_socket_mode(self) -> None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        self._http()
        self._socket = AsyncSocketModeHandler(self.app, self.settings.app_token)
        await self._socket.connect_async()
        log.info("connected to Slack in Socket Mode")

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
        await self.runner.close()
        if self._session is not None:
            await self._session.close()

    # --- listeners ----------------------------------------------------------------------

    def _register(self) -> None:
        app = self.app
        app.middleware(self._skip_retried_events)
        if self.settings.multi_workspace:
            app.event("app_uninstalled")(self._on_uninstalled)
            app.event("tokens_revoked")(self._on_tokens_revoked)
        else:
            # One workspace: nothing to clean up (the token is the operator's to replace),
            # but acknowledged, or Slack would retry them.
            app.event("app_uninstalled")(self._ignore)
            app.event("tokens_revoked")(self._ignore)
        app.event("message", matchers=[self._is_dm])(self._on_dm)
        app.event("message", matchers=[self._is_file_share])(self._on_file_share)
        app.event("message", matchers=[self._is_thread_reply])(self._on_thread_reply)
        app.event("app_mention")(self._on_mention)
        app.event("app_home_opened")(self._on_home_opened)
        app.command("/huddle")(self._on_command)
        app.action(render.ACTION_ID)(self._on_click)
        app.action(render.FORM_ACTION)(self._on_form_button)
        app.view(render.FORM_CALLBACK)(self._on_form_submission)
        # Any other message event (edits, bot posts, channel chatter) is acknowledged and
        # ignored; an unmatched event would get a 404 and Slack would retry it.
        app.event("message")(self._ignore)

    async def _skip_retried_events(
        self,
        body: dict[str, Any],
        context: AsyncBoltContext,
        next: Callable[[], Awaitable[None]],
    ) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await self.runner.run(self.bot.first_time, PLATFORM, event_id):
            log.info("event %s already handled; acknowledging the retry only", event_id)
            return BoltResponse(status=200, body="")
        if self.settings.multi_workspace and context.client is not None:
            # Bolt starts the listener's task after the middleware chain, in this request's
            # context: the task copies this, and everything it calls uses this workspace's
            # token. (handle_http clears it first, so no request inherits another's.)
            _REQUEST_CLIENT.set(context.client)
        await next()
        return None

    async def _on_uninstalled(self, context: AsyncBoltContext) -> None:
        """Huddle was removed from a workspace (or an organisation): its installation goes,
        and what was waiting to be sent there is given up and shown as a problem."""
        await self._forget(context, "app_uninstalled")

    async def _on_tokens_revoked(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        """The workspace revoked tokens: a revoked bot token means Huddle can no longer
        write there, as after an uninstall. (Huddle asks for no user tokens; any user's
        revoked installation is deleted too.)"""
        tokens = event.get("tokens") or {}
        assert self.installations is not None
        for user_id in tokens.get("oauth") or []:
            await self.installations.async_delete_installation(
                enterprise_id=context.enterprise_id, team_id=context.team_id, user_id=user_id
            )
        if tokens.get("bot"):
            await self._forget(context, "tokens_revoked")

    async def _forget(self, context: AsyncBoltContext, reason: str) -> None:
        assert self.installations is not None
        await self.installations.async_delete_all(
            enterprise_id=context.enterprise_id, team_id=context.team_id
        )
        # An org-wide install's events have no team: "E123:", every workspace in it.
        workspace = self.workspace(context)
        await self.runner.run(self.bot.workspace_removed, PLATFORM, workspace, reason)

    async def _is_dm(self, event: dict[str, Any]) -> bool:
        return translate.is_person_dm(event)

    async def _is_file_share(self, event: dict[str, Any]) -> bool:
        return translate.is_file_share(event)

    async def _is_thread_reply(self, event: dict[str, Any], context: AsyncBoltContext) -> bool:
        return translate.is_thread_reply(event, self.bot_user or context.bot_user_id)

    async def _ignore(self) -> None:
        return None

    async def _on_thread_reply(self, event: dict[str, Any]) -> None:
        """A reply under Huddle's post that looks like it holds patient details gets a
        note only its author sees: Huddle cannot delete it, so would they edit it."""
        async with self.runner.working():
            note = await self.runner.run(
                self.bot.screen_reply, PLATFORM, event["user"], event.get("text") or "", quick=True
            )
            if note is None:
                return
            for part in render.render(note):
                try:
                    await self.client.chat_postEphemeral(
                        channel=event["channel"],
                        user=event["user"],
                        text=part.text,
                        blocks=part.blocks,
                        thread_ts=event.get("thread_ts"),
                    )
                except SlackApiError as exc:
                    log.warning("could not send the privacy note: %s", _api_error(exc))

    async def _on_dm(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        async with self.runner.working():
            place = Place("dm", event["user"], event["channel"], event.get("thread_ts"))
            incoming = await self.incoming(
                event["user"], event.get("text") or "", "direct", event["channel"], False, context
            )
            await self.answer(incoming, place)

    async def _on_file_share(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        """Files sent in a DM: fetched, then answered as one message with the words typed
        with them (never once more as text). The files are removed when all is done."""
        async with self.runner.working():
            place = Place("dm", event["user"], event["channel"], event.get("thread_ts"))
            refusal = await self.runner.run(
                self.bot.file_refusal, PLATFORM, event["user"], quick=True
            )
            if refusal is not None:  # nothing is fetched for someone who may not import
                await self.private(place, render.render(refusal))
                return
            received = Received()
            try:
                try:
                    await self._fetch(event.get("files") or [], received)
                except FileProblem as problem:
                    notice = self.bot.say(problem.key, **problem.values)
                    await self.private(place, render.render(notice))
                    return
                incoming = await self.incoming(
                    event["user"],
                    event.get("text") or "",
                    "direct",
                    event["channel"],
                    False,
                    context,
                )
                await self.answer(replace(incoming, files=tuple(received.files)), place)
            finally:
                received.remove()

    async def _fetch(self, shared: list[dict[str, Any]], into: Received) -> None:
        """files.info for each file (Slack Connect files arrive without URLs), then fetch it
        with the bot token. Raises :class:`FileProblem` for the first that cannot be had."""
        limit = self.settings.file_limit
        for item in shared[:MAX_FILES]:
            file_id = str(item.get("id") or "")
            shown = str(item.get("name") or item.get("title") or file_id)
            try:
                response = await self.client.files_info(file=file_id)
            except SlackApiError as exc:
                error = _api_error(exc)
                log.warning("files.info failed for %s: %s", file_id, error)
                raise FileProblem("files.download_failed", file=shown, reason=error) from None
            info = response.get("file") or {}
            name = str(info.get("name") or info.get("title") or shown)
            url = info.get("url_private_download") or info.get("url_private")
            if not url or info.get("mode") in ("external", "tombstone"):
                raise FileProblem("files.no_download", file=name)
            if int(info.get("size") or 0) > limit:
                raise too_large(name, int(info["size"]), limit)
            await download(
                self._http(),
                str(url),
                into,
                name=name,
                limit=limit,
                headers={"Authorization": f"Bearer {self.client.token}"},
                sign_in_page="Slack",
                media_type=str(info.get("mimetype") or ""),
            )

    async def _on_mention(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        if not event.get("user"):
            return
        thread = event.get("thread_ts") or event.get("ts")
        async with self.runner.working():
            place = Place("mention", event["user"], event["channel"], thread)
            incoming = await self.incoming(
                event["user"], event.get("text") or "", "mention", event["channel"], True, context
            )
            await self.answer(incoming, place)

    async def _on_command(
        self,
        ack: Callable[..., Awaitable[None]],
        command: dict[str, Any],
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        channel = command.get("channel_id")
        in_channel = command.get("channel_name") != "directmessage" and not str(
            channel or ""
        ).startswith("D")
        place = Place(
            "command",
            command["user_id"],
            channel,
            response_url=command.get("response_url"),
            trigger_id=command.get("trigger_id"),
        )
        async with self.runner.working():
            incoming = await self.incoming(
                command["user_id"],
                command.get("text") or "",
                "command",
                channel,
                in_channel,
                context,
            )
            await self.answer(incoming, place)

    async def _on_click(
        self,
        ack: Callable[..., Awaitable[None]],
        body: dict[str, Any],
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        async with self.runner.working():
            await self._click(body, context)

    async def _click(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        clicked = translate.click(body)
        theirs = clicked.owner and clicked.owner != clicked.user_id
        if not theirs:
            await self._mark_chosen(clicked)
        kind: PlaceKind = (
            "home"
            if clicked.container == "view"
            else "click_ephemeral"
            # Someone else's button (in a thread): the refusal is for the presser's eyes.
            if clicked.ephemeral or (theirs and clicked.response_url)
            else "click"
        )
        place = Place(
            kind,
            clicked.user_id,
            clicked.channel_id if kind != "home" else clicked.user_id,
            clicked.thread_ts,
            clicked.response_url,
        )
        in_channel = bool(clicked.channel_id) and not str(clicked.channel_id).startswith("D")
        incoming = await self.incoming(
            clicked.user_id, clicked.command, "button", clicked.channel_id, in_channel, context
        )
        incoming = replace(incoming, button_owner=clicked.owner)
        await self.answer(incoming, place, refresh_home=kind == "home")

    async def _on_form_button(
        self, ack: Callable[..., Awaitable[None]], body: dict[str, Any]
    ) -> None:
        """The button under a form: open the form (its value carries it) as a modal."""
        await ack()
        action = (body.get("actions") or [{}])[0]
        form = render.form_from_value(str(action.get("value") or ""))
        view = render.modal(form) if form is not None else None
        if view is not None and body.get("trigger_id"):
            await self.open_modal(str(body["trigger_id"]), view)

    async def _on_form_submission(
        self,
        ack: Callable[..., Awaitable[None]],
        body: dict[str, Any],
        context: AsyncBoltContext,
    ) -> None:
        """A form modal submitted: run its filled-in command as the person typed it.

        There is no response_url for a modal, so the answer goes to the person's DM.
        """
        await ack()
        text = render.submitted(body.get("view") or {})
        user_id = (body.get("user") or {}).get("id")
        if text is None or not user_id:
            return
        async with self.runner.working():
            channel = await self._dm_channel(user_id)
            # Typed Slack text arrives escaped; what was typed in a modal does not.
            incoming = await self.incoming(
                user_id, render.escape(text), "button", channel, False, context
            )
            await self.answer(incoming, Place("dm", user_id, channel))

    async def _dm_channel(self, user_id: str) -> str:
        """The id of the bot's direct message with someone (conversations.open)."""
        try:
            response = await self.client.conversations_open(users=user_id)
        except SlackApiError as exc:
            log.warning("conversations.open failed for %s: %s", user_id, exc.response.get("error"))
            return user_id
        return str((response.get("channel") or {}).get("id") or user_id)

    async def open_modal(self, trigger_id: str, view: dict[str, Any]) -> bool:
        """views.open; False (logged) when Slack refuses, e.g. an expired trigger_id."""
        try:
            await self.client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            log.warning("views.open failed: %s", exc.response.get("error"))
            return False
        return True

    async def _on_home_opened(self, event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            await self.publish_home(event["user"])

    # --- the core -----------------------------------------------------------------------

    async def incoming(
        self,
        user_id: str,
        raw_text: str,
        via: Via,
        conversation_id: str | None,
        in_channel: bool,
        context: AsyncBoltContext | None = None,
    ) -> Incoming:
        """Translate Slack text into the core's Incoming, resolving people it mentions."""
        bot_user = context.bot_user_id if context else None
        drop = frozenset({bot_user}) if bot_user else frozenset()
        mentioned = [u for u in translate.mentioned_users(raw_text) if u not in drop]
        profiles = dict(
            zip(
                mentioned,
                await asyncio.gather(*(self.profiles.get(u) for u in mentioned)),
                strict=True,
            )
        )
        text = translate.plain(raw_text, {u: p.name for u, p in profiles.items()}, drop)
        return Incoming(
            platform=PLATFORM,
            user_id=user_id,
            text=text.text,
            via=via,
            conversation_id=conversation_id,
            in_channel=in_channel,
            mentions=tuple(Mention(u, profiles[u].name, profiles[u].email) for u in text.mentions),
            channels=text.channels,
            workspace=self.workspace(context),
        )

    async def _lookup(self, incoming: Incoming) -> Incoming | None:
        """users.info for someone the core does not know: their email and time zone."""
        profile = await self.profiles.get(incoming.user_id)
        return CoreRunner.with_profile(incoming, profile.email, profile.timezone, profile.name)

    @staticmethod
    def _home_view(reply: Reply) -> dict[str, Any]:
        return render.home_view(o.message for o in reply.outgoing)

    @staticmethod
    def _rendered(reply: Reply) -> list[tuple[Outgoing, list[render.SlackMessage]]]:
        return [(out, render.render(out.message)) for out in reply.outgoing]

    async def answer(self, incoming: Incoming, place: Place, refresh_home: bool = False) -> None:
        """Run the core and deliver its answers; refresh the App Home when things changed."""
        async with self.runner.working():
            await self._answer(incoming, place, refresh_home)

    async def _answer(self, incoming: Incoming, place: Place, refresh_home: bool) -> None:
        reply, rendered = await self.runner.ask(incoming, self._rendered, self._lookup)
        if place.trigger_id:
            rendered = await self._open_form(rendered, place.trigger_id)
        await self.deliver(rendered, place)
        if reply.later is not None:
            # The long work the answer promised ("Importing 184,000 rows…"): on the work
            # pool, so everyone else's questions are answered meanwhile.
            _, done = await self.runner.finish_later(reply, self._rendered)
            await self.deliver(done, place)
        if reply.changed or refresh_home:
            await self.publish_home(incoming.user_id)

    async def _open_form(
        self, rendered: list[tuple[Outgoing, list[render.SlackMessage]]], trigger_id: str
    ) -> list[tuple[Outgoing, list[render.SlackMessage]]]:
        """Open the first private answer's form as a modal; that answer is then not posted.

        If the modal cannot open, the answer is posted as usual (its button opens the form).
        """
        for index, (out, _) in enumerate(rendered):
            form = out.message.form
            view = render.modal(form) if form is not None else None
            if out.visibility == "private" and view is not None:
                if await self.open_modal(trigger_id, view):
                    return rendered[:index] + rendered[index + 1 :]
                break
        return rendered

    async def publish_home(self, user_id: str) -> None:
        async with self.runner.working():
            await self._publish_home(user_id)

    async def _publish_home(self, user_id: str) -> None:
        incoming = await self.incoming(user_id, "home", "direct", None, False)
        _, view = await self.runner.ask(
            incoming,
            lambda reply: render.home_view(o.message for o in reply.outgoing),
            self._lookup,
        )
        try:
            await self.client.views_publish(user_id=user_id, view=view)
        except SlackApiError as exc:
            log.warning("views.publish failed for %s: %s", user_id, exc.response.get("error"))

    # --- delivery -----------------------------------------------------------------------

    async def deliver(
        self, rendered: Sequence[tuple[Outgoing, list[render.SlackMessage]]], place: Place
    ) -> None:
        for out, parts in rendered:
            if out.visibility == "public":
                channel = out.channel_id or place.channel_id
                error = await self.post(channel or place.user_id, parts)
                if error is not None:
                    reason = f"delivery.reason.{error}"
                    notice = self.bot.say(
                        "delivery.failed",
                        channel=Markdown(f"[#{channel}](channel:{channel})"),
                        reason=self.bot.templates.plain(
                            reason if reason in self.bot.templates else "delivery.reason.failed"
                        ),
                    )
                    await self.private(place, render.render(notice))
            else:
                await self.private(place, parts)
            for picture in out.message.pictures:
                await self.send_picture(place, picture)
            for attachment in out.message.attachments:
                await self.send_file(place, attachment)

    async def send_file(self, place: Place, attachment: Attachment) -> bool:
        """Upload a file the core made into the asker's DM (never a channel: an import's
        refused rows name people). False, with a note to the person, when it fails."""
        found = await self.runner.run(self.bot.stored_file, attachment.file_id, quick=True)
        if found is None:
            gone = self.bot.say("files.gone", file=attachment.name)
            await self.private(place, render.render(gone))
            return False
        name, _, data = found
        in_dm = str(place.channel_id or "").startswith("D")
        channel = place.channel_id if in_dm else await self._dm_channel(place.user_id)
        try:
            await self._upload(str(channel), name, data, place.thread_ts if in_dm else None)
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            error = _api_error(exc) if isinstance(exc, SlackApiError) else repr(exc)[:200]
            log.warning("uploading %s to %s failed: %s", name, channel, error)
            await self.runner.run(
                self.bot.note_delivery_issue, PLATFORM, str(channel), "failed", error, place.user_id
            )
            again = (
                self.bot.templates.md("files.again", words=attachment.again)
                if attachment.again
                else Markdown("")
            )
            notice = self.bot.say("files.upload_failed", file=name, again=again)
            await self.private(place, render.render(notice))
            return False
        return True

    async def send_picture(self, place: Place, picture: Picture) -> bool:
        """A chart the answer drew, uploaded where its answer's files go (the asker's DM,
        since the answer was theirs alone). A chart that cannot be uploaded is logged: the
        answer says its figures in words already."""
        in_dm = str(place.channel_id or "").startswith("D")
        channel = place.channel_id if in_dm else await self._dm_channel(place.user_id)
        try:
            await self._upload(
                str(channel),
                picture.name,
                picture.data,
                place.thread_ts if in_dm else None,
                title=picture.title,
                alt=picture.alt,
            )
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            error = _api_error(exc) if isinstance(exc, SlackApiError) else repr(exc)[:200]
            log.warning("uploading the chart %s to %s failed: %s", picture.name, channel, error)
            return False
        return True

    async def _upload(
        self,
        channel: str,
        name: str,
        data: bytes,
        thread_ts: str | None,
        title: str = "",
        alt: str = "",
    ) -> None:
        """The three steps of slack_sdk's ``files_upload_v2``: files.getUploadURLExternal,
        the bytes POSTed to the URL it gives, files.completeUploadExternal into the channel.
        The POST is made here with a file-like body, which aiohttp streams: given the
        whole file as bytes (as files_upload_v2 does) it warns that a body over 1 MB may
        hold up the event loop, and an import's refused rows can be many megabytes."""
        extra = {"alt_txt": alt[:1000]} if alt else {}
        step = await self.client.files_getUploadURLExternal(
            filename=name, length=len(data), **extra
        )
        upload_url, file_id = str(step["upload_url"]), str(step["file_id"])
        async with self._http().post(
            upload_url, data=io.BytesIO(data), timeout=UPLOAD_TIMEOUT
        ) as response:
            if response.status != 200:
                body = (await response.text())[:200]
                raise SlackRequestError(f"the file upload answered {response.status}: {body}")
        await self.client.files_completeUploadExternal(
            files=[{"id": file_id, "title": (title or name)[:250]}],
            channel_id=channel,
            thread_ts=thread_ts,
        )

    async def private(self, place: Place, parts: list[render.SlackMessage]) -> None:
        """An answer only the asker sees, sent back the way the request came."""
        if place.kind in ("command", "click_ephemeral") and place.response_url:
            await self._respond(place.response_url, parts, replace_original=False)
        elif place.kind == "home" or place.channel_id is None:
            await self.post(place.user_id, parts)
        else:
            await self.post(place.channel_id, parts, place.thread_ts, person=place.user_id)

    async def post(
        self,
        channel: str,
        parts: list[render.SlackMessage],
        thread_ts: str | None = None,
        person: str | None = None,
    ) -> str | None:
        """chat.postMessage each part of a message. Returns Slack's error code, or None."""
        for part in parts:
            try:
                await self.client.chat_postMessage(
                    channel=channel, text=part.text, blocks=part.blocks, thread_ts=thread_ts
                )
            except SlackApiError as exc:
                error = str(exc.response.get("error") or "failed")
                code = error if error in REFUSALS else "failed"
                await self.runner.run(
                    self.bot.note_delivery_issue, PLATFORM, channel, code, error, person
                )
                return code
            except Exception as exc:  # the network: logged and noted, never raised
                log.exception("chat.postMessage to %s failed", channel)
                await self.runner.run(
                    self.bot.note_delivery_issue,
                    PLATFORM,
                    channel,
                    "failed",
                    repr(exc)[:200],
                    person,
                )
                return "failed"
        return None

    async def _respond(
        self, url: str, parts: list[render.SlackMessage], *, replace_original: bool
    ) -> None:
        webhook = AsyncWebhookClient(
            url,
            session=self._http(),
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)],
        )
        for part in parts:
            try:
                response = await webhook.send(
                    text=part.text,
                    blocks=part.blocks,
                    response_type="ephemeral",
                    replace_original=replace_original,
                )
            except Exception:  # the network: logged, never raised into the handler
                log.exception("response_url post failed")
                return
            if response.status_code != 200:
                log.warning("response_url answered %s: %s", response.status_code, response.body)

    async def _mark_chosen(self, clicked: translate.Click) -> None:
        """Replace the clicked message's buttons with a note, so they cannot be pressed again."""
        if clicked.container == "view":
            return
        note = self.bot.templates.plain("button.chosen", label=clicked.label)
        blocks = render.chosen(clicked.blocks, note)
        try:
            if clicked.ephemeral and clicked.response_url:
                webhook = AsyncWebhookClient(clicked.response_url, session=self._http())
                await webhook.send(
                    text=clicked.message_text or note, blocks=blocks, replace_original=True
                )
            elif clicked.channel_id and clicked.message_ts:
                await self.client.chat_update(
                    channel=clicked.channel_id,
                    ts=clicked.message_ts,
                    text=clicked.message_text or note,
                    blocks=blocks,
                )
        except SlackApiError as exc:
            log.warning("could not update the clicked message: %s", exc.response.get("error"))


def _api_error(exc: SlackApiError) -> str:
    """Slack's error code, or the HTTP status when the answer was not Slack's JSON."""
    data = exc.response.data
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"HTTP {exc.response.status_code}"
