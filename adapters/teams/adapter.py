"""Huddle in Microsoft Teams, on the Microsoft 365 Agents SDK.

A thin shell: the SDK receives activities at ``POST /api/messages`` (validating
every request's token, unless in anonymous local mode), this module turns them
into the core's ``Incoming`` (:mod:`adapters.teams.translate`), runs the core
off the event loop, and sends the answers back as Adaptive Cards or text
(:mod:`adapters.teams.cards`).

Conversation references are saved on install and refreshed from every inbound
activity (the service URL can change), so proactive messages can reach people
later. The connector's refusals are handled here, because the SDK neither
retries nor interprets them: 403 marks the conversation unreachable (the
person blocked or removed the bot) and stops messages there; 429, 412 and
502/503/504 are retried after Retry-After, or with backoff and jitter.

Files work in personal chats (:mod:`adapters.teams.files`): a file someone sends is
fetched from its short-lived download URL into a private temporary folder, within the
size limit, and handed to the core; long work the answer promised (an import) runs on
the work pool after the turn, its answers sent proactively. A file the core sends back
is offered with a FileConsentCard; on the person's ``fileConsent/invoke`` (accept) its
bytes are PUT to the upload URL Teams gave, and a FileInfoCard shows it.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import random
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import Any, TypeVar

import aiohttp
from aiohttp import ClientResponseError, web
from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    ConversationParameters,
    ConversationReference,
    InvokeResponse,
)
from microsoft_agents.hosting.aiohttp import CloudAdapter, jwt_authorization_decorator
from microsoft_agents.hosting.core import (
    AgentApplication,
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    ClaimsIdentity,
    ConnectionManager,
    ConnectorClientBase,
    MemoryStorage,
    TurnContext,
    TurnState,
)
from pydantic import ValidationError

from adapters.base import SHUTDOWN_GRACE, CoreRunner
from adapters.files import FileProblem, Received, download
from adapters.teams import cards, files, reach, translate
from adapters.teams.clients import KeptClients
from adapters.teams.settings import TeamsSettings
from bot.core import Bot
from bot.messages import Attachment, Incoming, Mention, Message, Outgoing, Reply
from bot.templates import Markdown
from scheduler.delivery import Limits, Pacer

log = logging.getLogger("huddle.teams")
T = TypeVar("T")

PLATFORM = translate.PLATFORM
_VERIFIED = web.RequestKey("huddle_token_verified", bool)
RETRYABLE = frozenset({412, 429, 502, 503, 504})
MAX_ATTEMPTS = 5
REMEMBER_FOR = 300.0
REMEMBER_MAX = 10_000
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0
#: At most this many files of one message are taken.
MAX_FILES = 10
UPLOAD_TIMEOUT = aiohttp.ClientTimeout(total=300, sock_connect=30)

# The SDK logs a warning on every anonymous turn about a user token client it does
# not need, and sets str keys on aiohttp apps; neither is a problem worth seeing.
logging.getLogger("microsoft_agents.hosting.core.connector.client.user_token_client").setLevel(
    logging.ERROR
)


class Unreachable(Exception):
    """The person blocked or removed the bot (403), or no conversation is saved."""


class DeliveryFailed(Exception):
    """The connector kept refusing after every retry."""


class _StatelessTurnState(TurnState):
    """Huddle keeps its state in its own database: the SDK's turn state stays empty."""

    async def load(self, context: TurnContext, storage: Any = None) -> _StatelessTurnState:
        return self


def _connections(settings: TeamsSettings) -> tuple[Any, AgentAuthConfiguration]:
    if settings.anonymous:
        config = AgentAuthConfiguration(anonymous_allowed=True)
        manager = ConnectionManager(
            lambda _: AnonymousTokenProvider(),
            connections_configurations={"SERVICE_CONNECTION": config},
        )
        return manager, config
    from microsoft_agents.authentication.msal import MsalConnectionManager
    from microsoft_agents.hosting.core.authorization.auth_types import AuthTypes

    if settings.app_password:
        config = AgentAuthConfiguration(
            client_id=settings.app_id,
            client_secret=settings.app_password,
            tenant_id=settings.tenant_id,
            auth_type=AuthTypes.client_secret,
        )
    else:
        config = AgentAuthConfiguration(
            client_id=settings.managed_identity,
            tenant_id=settings.tenant_id,
            auth_type=AuthTypes.user_managed_identity,
        )
    manager = MsalConnectionManager(connections_configurations={"SERVICE_CONNECTION": config})
    return manager, config


async def _malformed(request: web.Request) -> str | None:
    """Why a request body is not an activity Huddle can answer, or None if it is one."""
    try:
        activity = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        return "the body is not JSON"
    if not isinstance(activity, dict):
        return "the body is not a JSON object"
    if not isinstance(activity.get("type"), str) or not activity["type"]:
        return "the activity has no type"
    for part in ("from", "conversation", "recipient"):
        found = activity.get(part)
        if not isinstance(found, dict) or not isinstance(found.get("id"), str) or not found["id"]:
            return f"the activity has no {part} id"
    if not isinstance(activity.get("serviceUrl"), str) or not activity["serviceUrl"]:
        return "the activity has no serviceUrl"
    for text_field in ("text", "channelId", "id", "replyToId"):
        if text_field in activity and not isinstance(activity[text_field], str | None):
            return f"the activity's {text_field} is not text"
    channel_data = activity.get("channelData")
    if channel_data is not None and (
        not isinstance(channel_data, dict)
        or not isinstance(channel_data.get("tenant") or {}, dict)
        or not isinstance(channel_data.get("team") or {}, dict)
    ):
        return "the activity's channelData is not an object of objects"
    # Whatever else the SDK would refuse to read (a timestamp that is not a time, an
    # entity that is not an object) is refused here, not as a 500 inside its turn. Its
    # validator logs each refusal with a traceback: one line of ours says it instead.
    sdk_log = logging.getLogger("microsoft_agents.activity.activity")
    was, sdk_log.disabled = sdk_log.disabled, True
    try:
        Activity.model_validate(activity)
    except ValidationError as exc:
        where = ".".join(str(part) for part in exc.errors()[0]["loc"]) if exc.errors() else ""
        return f"the activity does not fit the Activity schema ({where or 'shape'})"
    finally:
        sdk_log.disabled = was
    return None


class TeamsAdapter:
    """Huddle's Agents SDK application and the way its answers reach Teams."""

    #: Bytes per PUT to a OneDrive upload session (a multiple of 320 KiB).
    upload_piece = files.UPLOAD_PIECE

    def __init__(
        self,
        bot: Bot,
        settings: TeamsSettings,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        backoff_base: float = BACKOFF_BASE,
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.runner = CoreRunner(bot)
        self._sleep = sleep
        self._backoff_base = backoff_base
        self._random = random.Random()
        #: conversation id -> (reference, when saved): to skip rewriting unchanged references.
        self._remembered: dict[str, tuple[dict[str, Any], float]] = {}
        self.connections, self.auth_config = _connections(settings)
        self._session: aiohttp.ClientSession | None = None
        #: Long work answers promised, running after their turn (kept so they are not lost).
        self._later: set[asyncio.Task[None]] = set()
        #: Reaching a team's members after Huddle was added to it (see :mod:`.reach`).
        self._reaching: set[asyncio.Task[None]] = set()
        self._reach_pacer = Pacer(
            {PLATFORM: Limits(settings.reach_per_second * 60, reach.THREAD_GAP)},
            sleep=self._sleep,
        )
        # One connector client per service URL and token, not one (and a TCP connection)
        # per turn: see adapters/teams/clients.py.
        self.clients = KeptClients(self.connections)
        self.cloud = CloudAdapter(
            connection_manager=self.connections, channel_service_client_factory=self.clients
        )
        self.cloud.on_turn_error = self._on_turn_error
        self.app: AgentApplication[TurnState] = AgentApplication[TurnState](
            storage=MemoryStorage(),
            connection_manager=self.connections,
            start_typing_timer=False,
            remove_recipient_mention=False,
            turn_state_factory=_StatelessTurnState,
        )
        self.app.message()(self._on_message)
        self.app.activity("conversationUpdate")(self._on_conversation_update)
        self.app.activity("installationUpdate")(self._on_installation_update)
        self.app.invoke(files.CONSENT_INVOKE)(self._on_file_consent)
        self.app.error(self._on_error)

    # --- hosting ------------------------------------------------------------------------

    def mount(self, web_app: web.Application, path: str = "/api/messages") -> None:
        """Serve ``path`` on an aiohttp application that has not started yet."""

        async def messages(request: web.Request) -> web.StreamResponse:
            request[_VERIFIED] = True
            problem = await _malformed(request)
            if problem is not None:
                # One line, no traceback, nothing stored: the SDK never sees it.
                log.warning("Teams request refused: %s", problem)
                return web.json_response({"error": problem}, status=400)
            replayed = await self._replayed(request)
            if replayed is not None:
                log.info("Teams activity %s already handled; acknowledged only", replayed)
                return web.Response(status=200)
            async with self.runner.working():
                response = await self.cloud.process(request, self.app)
            return response or web.Response(status=202)

        if self.settings.anonymous:
            # No token checks at all: only ever on localhost (checked when the server starts).
            web_app.router.add_post(path, messages)
            return
        with warnings.catch_warnings():
            # The SDK reads its configuration from a plain string key on the app.
            warnings.simplefilter("ignore", web.NotAppKeyWarning)
            web_app["agent_configuration"] = self.auth_config
        checked = jwt_authorization_decorator(messages)  # type: ignore[no-untyped-call]

        async def verified(request: web.Request) -> web.StreamResponse:
            try:
                response: web.StreamResponse = await checked(request)
            except Exception:
                if request.get(_VERIFIED):
                    raise
                # The SDK's validator raises on some malformed tokens (no key id) and when
                # Microsoft's signing keys cannot be fetched: either way, not authenticated.
                log.warning(
                    "Teams request refused: its token could not be validated", exc_info=True
                )
                return web.json_response({"error": "Invalid token"}, status=401)
            return response

        web_app.router.add_post(path, verified)

    async def _replayed(self, request: web.Request) -> str | None:
        """The activity's key if it was handled before (a retry or a replay), else None.

        The Bot Connector retries an activity it thinks went unanswered, and a request
        can be replayed: the key (conversation and activity id) goes in the database
        first, as Slack's event ids do, so on any replica it is acted on once. An
        activity without an id cannot be told apart and is always handled. A quick
        question (read-only) is not recorded: answering it again changes nothing, and
        it must not wait for a write (a large import on SQLite holds the lock for
        seconds).
        """
        activity = json.loads(await request.read())
        activity_id = activity.get("id")
        if not activity_id:
            return None
        if (
            activity["type"] == "message"
            and not activity.get("value")
            and not activity.get("attachments")
            and self.bot.is_quick(str(activity.get("text") or ""))
        ):
            return None
        key = f"{activity['conversation']['id']}|{activity_id}"[:255]
        first = await self.runner.run(self.bot.first_time, PLATFORM, key)
        return None if first else key

    def _http(self) -> aiohttp.ClientSession:
        """The HTTP session for files, made inside the running event loop on first use."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        for task in self._reaching:  # safe to stop: re-adding Huddle to the team resumes it
            task.cancel()
        if self._later:  # long work after a turn: let it finish, as answers in flight do
            await asyncio.wait(set(self._later), timeout=SHUTDOWN_GRACE)
        if self._reaching:
            await asyncio.wait(set(self._reaching), timeout=SHUTDOWN_GRACE)
        await self.runner.close()
        await self.clients.close()
        if self._session is not None:
            await self._session.close()

    # --- inbound ------------------------------------------------------------------------

    async def _on_message(self, context: TurnContext, state: TurnState) -> None:
        activity = _json(context.activity)
        command = translate.submitted_command(activity)
        incoming = translate.incoming(activity)
        if command is not None and not incoming.not_for_sender:
            # Someone else's button is left on its card for its owner to use.
            await self._mark_chosen(context, activity)
        if incoming.mentions:
            incoming = await self._with_mention_emails(context, incoming)
        sent = files.files_sent(activity) if command is None else []
        personal = translate.conversation_kind(activity) == "personal"
        received: Received | None = Received() if sent else None
        try:
            if sent and received is not None:
                refusal = await self.runner.run(
                    self.bot.file_refusal, PLATFORM, incoming.user_id, quick=True
                )
                if refusal is not None:  # nothing is fetched for someone who may not import
                    await self._say_in_turn(context, refusal)
                    return
                try:
                    await self._fetch(sent, received)
                except FileProblem as problem:
                    await self._say_in_turn(context, self.bot.say(problem.key, **problem.values))
                    return
                incoming = replace(incoming, files=tuple(received.files))
            # The reference is saved (or checked) in the same worker trip as the answer.
            reply, rendered = await self.runner.ask(
                incoming,
                partial(self._activities_for, to_user=incoming.user_id, personal=personal),
                lambda inc: self._lookup(context, inc),
                before=self._remembering(activity),
            )
            await self._deliver(context, reply, rendered)
            if reply.later is not None:
                self._finish_later(reply, _conversation(activity), received)
                received = None  # removed once that work is done
        finally:
            if received is not None:
                received.remove()

    async def _fetch(self, sent: list[files.SentFile], into: Received) -> None:
        """Fetch each file from its download URL (short-lived; it needs no token)."""
        for item in sent[:MAX_FILES]:
            await download(
                self._http(),
                item.download_url,
                into,
                name=item.name,
                limit=self.settings.file_limit,
            )

    def _finish_later(self, reply: Reply, conversation_id: str, received: Received | None) -> None:
        """Run the work an answer promised after this turn (Teams wants the turn answered
        at once), on the work pool; its answers go to the same conversation proactively."""

        async def finish() -> None:
            async with self.runner.working():
                try:
                    done, _ = await self.runner.finish_later(reply, lambda _: None)
                    for out in done.outgoing:
                        public = out.visibility == "public" and out.channel_id
                        target = out.channel_id if public and out.channel_id else conversation_id
                        try:
                            await self.send(target, out.message)
                        except (Unreachable, DeliveryFailed) as exc:
                            log.warning("could not send the end of long work: %s", exc)
                finally:
                    if received is not None:
                        received.remove()

        task = asyncio.create_task(finish())
        self._later.add(task)
        task.add_done_callback(self._later.discard)

    async def _say_in_turn(self, context: TurnContext, message: Message) -> None:
        for activity in self._activities(message):
            await self._send_in_turn(context, activity)

    # --- files sent back ----------------------------------------------------------------

    async def _on_file_consent(self, context: TurnContext, state: TurnState) -> None:
        """The person answered a FileConsentCard: upload the file if they said yes (and are
        the one it was offered to), or say where else to get it. The invoke gets a 200."""
        activity = _json(context.activity)
        answer = files.consent_answer(activity.get("value"))
        user_id = str((activity.get("from") or {}).get("id") or "")
        async with self.runner.working():
            if answer is None:
                log.warning("a fileConsent/invoke that is not for one of Huddle's files")
                await self._invoke_done(context, 400)
                return
            if answer.offered_to != user_id:
                log.warning("a file offered to %s was answered by %s", answer.offered_to, user_id)
                await self._say_in_turn(context, self.bot.say("files.not_yours"))
            elif not answer.accepted:
                notice = self.bot.say(
                    "files.declined", file=answer.name, again=self._again(answer.again)
                )
                await self._say_in_turn(context, notice)
            else:
                await self._upload(context, answer, activity)
            await self._invoke_done(context, 200)

    async def _upload(
        self, context: TurnContext, answer: files.ConsentAnswer, activity: dict[str, Any]
    ) -> None:
        found = await self.runner.run(self.bot.stored_file, answer.file_id, quick=True)
        if found is None:
            await self._say_in_turn(context, self.bot.say("files.gone", file=answer.name))
            return
        name, _, data = found
        upload = answer.upload
        assert upload is not None
        problem = await self._put(upload.upload_url, data)
        if problem is not None:
            log.warning("uploading %s failed: %s", name, problem)
            await self.runner.run(
                self.bot.note_delivery_issue,
                PLATFORM,
                _conversation(activity),
                "failed",
                f"file upload: {problem}",
                answer.offered_to,
            )
            notice = self.bot.say("files.upload_failed", file=name, again=self._again(answer.again))
            await self._say_in_turn(context, notice)
            return
        shown = Activity(type=ActivityTypes.message, attachments=[files.info_card(upload)])
        await self._send_in_turn(context, shown)
        card_id = activity.get("replyToId")
        if card_id:  # the consent card has done its work: no second upload of the same file
            try:
                await context.delete_activity(str(card_id))
            except ClientResponseError as exc:
                log.info("could not remove the file consent card %s: %s", card_id, exc.status)

    async def _put(self, url: str, data: bytes) -> str | None:
        """PUT the bytes to an upload session, piece by piece. None, or what went wrong."""
        total = len(data)
        ranges = list(files.pieces(total, self.upload_piece)) or [(0, -1)]
        try:
            for first, last in ranges:
                piece = data[first : last + 1]
                headers = {"Content-Length": str(len(piece))}
                if total:
                    headers["Content-Range"] = f"bytes {first}-{last}/{total}"
                # A file-like body: aiohttp streams it instead of holding up the event loop.
                async with self._http().put(
                    url, data=io.BytesIO(piece), headers=headers, timeout=UPLOAD_TIMEOUT
                ) as response:
                    if response.status not in (200, 201, 202):
                        return f"HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return repr(exc)[:200]
        return None

    def _again(self, words: str) -> Markdown:
        return self.bot.templates.md("files.again", words=words) if words else Markdown("")

    @staticmethod
    async def _invoke_done(context: TurnContext, status: int) -> None:
        await context.send_activity(
            Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=status))
        )

    async def _on_conversation_update(self, context: TurnContext, state: TurnState) -> None:
        activity = _json(context.activity)
        bot_id = (activity.get("recipient") or {}).get("id")
        added = {m.get("id") for m in activity.get("membersAdded") or []}
        removed = {m.get("id") for m in activity.get("membersRemoved") or []}
        if bot_id in removed:
            await self._forget(activity)
        elif bot_id in added:
            await self._installed(context, activity)
        elif added and reach.joined_team(activity):  # people joined a team Huddle is in
            self._start_reach(activity, [str(m) for m in added if m])

    async def _on_installation_update(self, context: TurnContext, state: TurnState) -> None:
        activity = _json(context.activity)
        action = str(activity.get("action") or "add")
        if action.startswith("remove"):
            await self._forget(activity)
        else:
            await self._installed(context, activity)

    async def _forget(self, activity: dict[str, Any]) -> None:
        """Huddle was removed: a person's chat is kept, marked unreachable (so being in a
        team with Huddle does not start it again), a channel's is forgotten."""
        conversation = _conversation(activity)
        self._remembered.pop(conversation, None)
        if translate.conversation_kind(activity) == "personal":
            await self.runner.run(
                self.bot.mark_unreachable, PLATFORM, conversation, "removed the app"
            )
        else:
            await self.runner.run(self.bot.forget_conversation, PLATFORM, conversation)

    async def _installed(self, context: TurnContext, activity: dict[str, Any]) -> None:
        """Save the conversation and greet, once (Teams sends two events per install).

        Always asks the database (never this replica's memory of recent references): it
        alone knows whether the chat was removed or blocked since, perhaps on another."""
        if not await self._remember(activity, refresh=True):
            return
        if translate.conversation_kind(activity) == "personal":
            incoming = translate.incoming({**activity, "text": "hello", "value": None})
            reply, rendered = await self.runner.ask(
                incoming, self._activities_for, lambda inc: self._lookup(context, inc)
            )
            await self._deliver(context, reply, rendered)
            # Linked now, so save the person with the conversation for proactive messages.
            await self._remember(activity, refresh=True)
        else:
            message = self.bot.say("install.channel", initiative=self.bot.content.initiative.name)
            for out in self._activities(message):
                await self._send_in_turn(context, out)
            if reach.team_of(activity):  # added to a team: its members, after this turn
                self._start_reach(activity)

    def _remembering(
        self, activity: dict[str, Any], refresh: bool = False
    ) -> Callable[[], bool] | None:
        """The work of saving this activity's conversation reference, or None if it is not
        needed: references rarely change, so one seen unchanged in the last few minutes is
        not checked again. ``refresh`` forces it (e.g. once the person is linked)."""
        user_id = (activity.get("from") or {}).get("id")
        kind = translate.conversation_kind(activity)
        reference = translate.reference(activity)
        key = reference["conversation_id"]
        now = time.monotonic()
        seen = self._remembered.get(key)
        if not refresh and seen and seen[0] == reference and now - seen[1] < REMEMBER_FOR:
            return None

        def remember() -> bool:
            new = self.bot.remember_conversation(PLATFORM, key, kind, reference, user_id)
            self._remembered[key] = (reference, now)
            if len(self._remembered) > REMEMBER_MAX:
                self._remembered.pop(next(iter(self._remembered)), None)
            return new

        return remember

    async def _remember(self, activity: dict[str, Any], refresh: bool = False) -> bool:
        """Save the conversation reference now; True the first time it is saved (an install)."""
        remember = self._remembering(activity, refresh)
        return bool(remember and await self.runner.run(remember))

    async def _lookup(self, context: TurnContext, incoming: Incoming) -> Incoming | None:
        """The member's email from the connector, for someone the core does not know yet."""
        member = await self._member(context, incoming.user_id)
        if member is None:
            return None
        email = member.get("email") or member.get("userPrincipalName")
        return CoreRunner.with_profile(incoming, email, None, member.get("name"))

    async def _member(self, context: TurnContext, user_id: str) -> dict[str, Any] | None:
        client: Any = context.services.get(ConnectorClientBase)
        try:
            member = await client.get_conversation_member(context.activity.conversation.id, user_id)
        except ClientResponseError as exc:
            log.warning("member look-up for %s failed: %s", user_id, exc.status)
            return None
        return member.model_dump(by_alias=True, exclude_none=True)  # type: ignore[no-any-return]

    async def _with_mention_emails(self, context: TurnContext, incoming: Incoming) -> Incoming:
        mentions = []
        for m in incoming.mentions:
            member = await self._member(context, m.user_id)
            email = (member or {}).get("email") or (member or {}).get("userPrincipalName")
            mentions.append(Mention(m.user_id, m.name, email))
        return replace(incoming, mentions=tuple(mentions))

    async def _mark_chosen(self, context: TurnContext, activity: dict[str, Any]) -> None:
        """Replace the clicked card with its summary and the choice, so it cannot act twice."""
        card_id = activity.get("replyToId")
        value = activity.get("value") or {}
        if not card_id:
            return
        note = self.bot.templates.plain("button.chosen", label=str(value.get(cards.LABEL) or ""))
        updated = Activity(
            type=ActivityTypes.message,
            id=card_id,
            attachments=[_attachment(cards.chosen_card(str(value.get(cards.SUMMARY) or ""), note))],
        )
        try:
            await context.update_activity(updated)
        except ClientResponseError as exc:
            log.warning("could not update the clicked card %s: %s", card_id, exc.status)

    # --- outbound -----------------------------------------------------------------------

    def _activities(
        self, message: Message, to_user: str = "", personal: bool = False
    ) -> list[Activity]:
        """A neutral message as Teams activities: a card when it has more than text, then a
        FileConsentCard for each file in it (in a personal chat with ``to_user``; files
        cannot be sent anywhere else, so elsewhere that is said instead)."""
        if not cards.needs_card(message):
            text, mentions = cards.plain_text(message)
            shown = [
                Activity(
                    type=ActivityTypes.message,
                    text=text or message.summary,
                    text_format="markdown",
                    entities=mentions or None,
                )
            ]
        else:
            shown = [
                Activity(
                    type=ActivityTypes.message,
                    attachments=[_attachment(card.content)],
                    summary=card.summary[:250],
                    entities=card.mentions or None,
                )
                for card in cards.cards_for(message)
            ]
        if not personal and len(message.attachments) > 1:
            # A channel post with several files (the monthly report's): one line for all.
            listed = "; ".join(
                self.bot.templates.plain("files.listed", file=a.name, words=a.again or a.name)
                for a in message.attachments
            )
            return shown + self._activities(self.bot.say("files.personal_only_many", files=listed))
        for attachment in message.attachments:
            shown += self._offer(attachment, to_user if personal else "")
        return shown

    def _offer(self, attachment: Attachment, to_user: str) -> list[Activity]:
        if not to_user:
            notice = self.bot.say(
                "files.personal_only", file=attachment.name, again=self._again(attachment.again)
            )
            return self._activities(notice)
        description = self.bot.templates.plain("files.offer", file=attachment.name)
        card = files.consent_card(attachment, description, to_user)
        return [Activity(type=ActivityTypes.message, attachments=[card])]

    def _activities_for(
        self, reply: Reply, to_user: str = "", personal: bool = False
    ) -> list[tuple[Outgoing, list[Activity]]]:
        # Runs in the worker thread with the core, keeping card building off the event loop.
        return [(out, self._activities(out.message, to_user, personal)) for out in reply.outgoing]

    async def _deliver(
        self,
        context: TurnContext,
        reply: Reply,
        rendered: Sequence[tuple[Outgoing, list[Activity]]],
    ) -> None:
        here = translate.channel_conversation(str(context.activity.conversation.id))
        for out, activities in rendered:
            if out.visibility == "public" and out.channel_id and out.channel_id != here:
                try:
                    await self.send(out.channel_id, out.message)
                except (Unreachable, DeliveryFailed) as exc:
                    notice = self.bot.say(
                        "delivery.failed",
                        channel=Markdown(f"[#{out.channel_id}](channel:{out.channel_id})"),
                        reason=self.bot.templates.plain(
                            "delivery.reason.blocked"
                            if isinstance(exc, Unreachable)
                            else "delivery.reason.failed"
                        ),
                    )
                    for activity in self._activities(notice):
                        await self._send_in_turn(context, activity)
                continue
            for activity in activities:
                await self._send_in_turn(context, activity)

    async def _send_in_turn(self, context: TurnContext, activity: Activity) -> str | None:
        """Reply in the conversation the request came from, retrying what is worth retrying."""

        async def once() -> str | None:
            response = await context.send_activity(activity)
            return str(response.id) if response and response.id else None

        try:
            sent: str | None = await self._with_retries(once)
            return sent
        except ClientResponseError as exc:
            log.error("Teams refused a reply (%s): %s", exc.status, exc.message[:200])
            await self.runner.run(
                self.bot.note_delivery_issue,
                PLATFORM,
                str(context.activity.conversation.id),
                "failed",
                f"{exc.status} {exc.message[:200]}",
            )
            return None

    async def send(self, conversation_id: str, message: Message) -> str:
        """Send a message proactively through a saved conversation reference.

        Returns the id of the (last) activity sent. Raises :class:`Unreachable`
        when there is no saved conversation, it is marked unreachable, or Teams
        answers 403; :class:`DeliveryFailed` after retries are exhausted.
        """
        saved = await self.runner.run(self.bot.conversation, PLATFORM, conversation_id)
        if saved is None:
            raise Unreachable(f"no saved Teams conversation {conversation_id}")
        if saved.unreachable:
            raise Unreachable(f"Teams conversation {conversation_id} is marked unreachable")
        sent = ""
        to_user = str(saved.reference.get("user_id") or "")
        for activity in self._activities(message, to_user, saved.kind == "personal"):
            try:
                sent = await self._with_retries(partial(self._proactive, saved.reference, activity))
            except ClientResponseError as exc:
                if exc.status == 403:
                    self._remembered.pop(conversation_id, None)
                    await self.runner.run(
                        self.bot.mark_unreachable,
                        PLATFORM,
                        conversation_id,
                        f"403 {exc.message[:200]}",
                    )
                    raise Unreachable(f"Teams answered 403 for {conversation_id}") from exc
                await self.runner.run(
                    self.bot.note_delivery_issue,
                    PLATFORM,
                    conversation_id,
                    "failed",
                    f"{exc.status} {exc.message[:200]}",
                )
                raise DeliveryFailed(f"Teams answered {exc.status} for {conversation_id}") from exc
        return sent

    async def _proactive(self, reference: dict[str, Any], activity: Activity) -> str:
        async def send(context: TurnContext) -> str:
            response = await context.send_activity(activity)
            return str(response.id if response and response.id else "")

        return await self._in_conversation(reference, send)

    async def _in_conversation(
        self, reference: dict[str, Any], work: Callable[[TurnContext], Awaitable[T]]
    ) -> T:
        """Run ``work`` in a proactive turn of a saved conversation (with the connector
        client the SDK authenticates for its service URL); its result, or its error."""
        ref = ConversationReference.model_validate(
            {
                "channelId": reference.get("channel_id") or "msteams",
                "serviceUrl": reference["service_url"],
                "conversation": {
                    "id": reference["conversation_id"],
                    "conversationType": reference.get("conversation_type"),
                    "tenantId": reference.get("tenant_id"),
                },
                "bot": {"id": reference.get("bot_id") or "", "name": reference.get("bot_name")},
                "user": {
                    "id": reference.get("user_id") or "",
                    "aadObjectId": reference.get("aad_object_id"),
                },
            }
        )
        continuation = ref.get_continuation_activity()
        continuation.id = None  # a new message, not a reply to a made-up id
        outcome: dict[str, Any] = {}

        async def callback(context: TurnContext) -> None:
            try:
                outcome["value"] = await work(context)
            except Exception as exc:  # handed back to the caller below, not swallowed
                outcome["error"] = exc

        if self.settings.anonymous:
            await self.cloud.continue_conversation_with_claims(
                ClaimsIdentity(), continuation, callback
            )
        else:
            await self.cloud.continue_conversation(self.settings.app_id, continuation, callback)
        if "error" in outcome:
            raise outcome["error"]
        result: T = outcome["value"]
        return result

    # --- reaching a team's members ------------------------------------------------------

    def _start_reach(self, activity: dict[str, Any], joined: list[str] | None = None) -> None:
        """Start personal chats with the team's members on the roster, after this turn:
        every member when Huddle is added, or the ``joined`` ones."""
        team_id = reach.team_of(activity)
        if not team_id:
            return
        task = asyncio.create_task(self._reach(team_id, translate.reference(activity), joined))
        self._reaching.add(task)
        task.add_done_callback(self._reaching.discard)

    async def reached(self) -> None:
        """Wait until every team being reached is done (for tests and shutdown)."""
        while self._reaching:
            await asyncio.wait(set(self._reaching))

    async def _reach(self, team_id: str, team: dict[str, Any], joined: list[str] | None) -> None:
        looked = started = 0
        try:
            async for member in self._team_members(team_id, team, joined):
                looked += 1
                if not reach.reachable(member, team.get("tenant_id"), team.get("bot_id")):
                    continue
                user_id = str(member["id"])
                wanted = await self.runner.run(
                    self.bot.reach_member, PLATFORM, user_id, reach.addresses(member)
                )
                if wanted and await self._start_personal(team, member):
                    started += 1
        except ClientResponseError as exc:
            log.warning("listing the members of team %s failed: %s", team_id, exc.status)
        except Exception:
            log.exception("reaching the members of team %s failed", team_id)
        # Counts only: nothing is kept or logged about members not on the roster.
        log.info(
            "team %s: %d members looked at, %d personal chats started", team_id, looked, started
        )

    async def _team_members(
        self, team_id: str, team: dict[str, Any], joined: list[str] | None
    ) -> AsyncIterator[dict[str, Any]]:
        """The team's members, page by page (or the ``joined`` ones, looked up one by one)."""

        async def page(token: str | None, context: TurnContext) -> Any:
            client: Any = context.services.get(ConnectorClientBase)
            return await client.conversations.get_conversation_paged_members(
                team_id, reach.PAGE_SIZE, token
            )

        async def member(user_id: str, context: TurnContext) -> Any:
            client: Any = context.services.get(ConnectorClientBase)
            return await client.conversations.get_conversation_member(team_id, user_id)

        if joined is not None:
            for user_id in joined:
                await self._reach_pacer.wait(PLATFORM, team_id)
                try:
                    found = await self._with_retries(
                        partial(self._in_conversation, team, partial(member, user_id))
                    )
                except ClientResponseError as exc:
                    log.warning("member look-up in team %s failed: %s", team_id, exc.status)
                    continue
                yield found.model_dump(by_alias=True, exclude_none=True)
            return
        token: str | None = None
        while True:
            await self._reach_pacer.wait(PLATFORM, team_id)
            result = await self._with_retries(
                partial(self._in_conversation, team, partial(page, token))
            )
            for account in result.members or []:
                yield account.model_dump(by_alias=True, exclude_none=True)
            token = result.continuation_token
            if not token:
                return

    async def _start_personal(self, team: dict[str, Any], member: dict[str, Any]) -> bool:
        """Create the 1:1 conversation with a member and save it; False if Teams refused."""
        parameters = ConversationParameters.model_validate(
            reach.conversation_parameters(team, member)
        )

        async def create(context: TurnContext) -> Any:
            client: Any = context.services.get(ConnectorClientBase)
            return await client.conversations.create_conversation(parameters)

        # A new conversation each time: only the pace for the tenant binds, not a thread's.
        await self._reach_pacer.wait(PLATFORM, str(member["id"]))
        try:
            created = await self._with_retries(partial(self._in_conversation, team, create))
        except ClientResponseError as exc:
            # 403: the app is not allowed for them, or they blocked it. Nothing is kept.
            log.warning("Teams would not start a personal chat (%s)", exc.status)
            return False
        reference = reach.personal_reference(
            team, member, str(created.id), getattr(created, "service_url", None)
        )
        await self.runner.run(
            self.bot.remember_conversation,
            PLATFORM,
            reference["conversation_id"],
            "personal",
            reference,
            reference["user_id"],
        )
        return True

    async def _with_retries(self, attempt: Callable[[], Awaitable[Any]]) -> Any:
        """Retry 429 / 412 / 502 / 503 / 504, after Retry-After or with backoff and jitter."""
        for number in range(1, MAX_ATTEMPTS + 1):
            try:
                return await attempt()
            except ClientResponseError as exc:
                if exc.status not in RETRYABLE or number == MAX_ATTEMPTS:
                    raise
                delay = _retry_after(exc)
                if delay is None:
                    ceiling = min(BACKOFF_CAP, self._backoff_base * 2 ** (number - 1))
                    delay = ceiling / 2 + self._random.uniform(0, ceiling / 2)
                log.info("Teams answered %s; retrying in %.1f s", exc.status, delay)
                await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    # --- errors -------------------------------------------------------------------------

    async def _on_error(self, context: TurnContext, error: Exception) -> None:
        log.error("Teams turn failed: %r", error, exc_info=error)

    async def _on_turn_error(self, context: TurnContext, error: Exception) -> None:
        log.error("Teams adapter error: %r", error, exc_info=error)


def _json(activity: Activity) -> dict[str, Any]:
    data: dict[str, Any] = activity.model_dump(mode="json", by_alias=True, exclude_none=True)
    return data


def _conversation(activity: dict[str, Any]) -> str:
    return translate.channel_conversation(str((activity.get("conversation") or {}).get("id")))


def _attachment(content: dict[str, Any]) -> Any:
    from microsoft_agents.hosting.core import CardFactory

    return CardFactory.adaptive_card(content)


def _retry_after(exc: ClientResponseError) -> float | None:
    headers: Any = exc.headers or {}
    value = headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
