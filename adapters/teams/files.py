"""Files in Teams personal chats, as the Teams bot APIs exchange them. Pure functions.

A file a person sends arrives as an attachment of type
``application/vnd.microsoft.teams.file.download.info`` whose ``content.downloadUrl``
is short-lived and needs no token. A file the bot sends goes in three steps: a
FileConsentCard asks the person; when they accept, Teams sends a ``fileConsent/invoke``
with an upload URL (a OneDrive upload session) that takes the bytes by PUT with
``Content-Range``; then a FileInfoCard shows the file in the chat. The consent card's
context carries the core's file id and whom it was offered to, so whichever replica gets
the answer can find the file again and check that the person answering is that person.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from microsoft_agents.activity import Attachment as TeamsAttachment
from microsoft_agents.activity.teams import (
    FileConsentCard,
    FileConsentCardResponse,
    FileInfoCard,
    FileUploadInfo,
)
from pydantic import ValidationError

from bot.messages import Attachment

DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
CONSENT_CARD = "application/vnd.microsoft.teams.card.file.consent"
INFO_CARD = "application/vnd.microsoft.teams.card.file.info"
CONSENT_INVOKE = "fileConsent/invoke"
#: OneDrive takes an upload session's bytes in pieces that are a multiple of 320 KiB.
UPLOAD_PIECE = 10 * 320 * 1024


@dataclass(frozen=True)
class SentFile:
    """A file someone sent in the chat: where to fetch it."""

    name: str
    download_url: str
    unique_id: str
    file_type: str


def files_sent(activity: Mapping[str, Any]) -> list[SentFile]:
    """The files attached to a message (inline images and cards are something else)."""
    found = []
    for attachment in activity.get("attachments") or []:
        if not isinstance(attachment, Mapping) or attachment.get("contentType") != DOWNLOAD_INFO:
            continue
        content = attachment.get("content")
        if not isinstance(content, Mapping) or not isinstance(content.get("downloadUrl"), str):
            continue
        file_type = str(content.get("fileType") or "")
        name = str(attachment.get("name") or "") or f"file.{file_type or 'csv'}"
        found.append(
            SentFile(name, content["downloadUrl"], str(content.get("uniqueId") or ""), file_type)
        )
    return found


def consent_card(attachment: Attachment, description: str, offered_to: str) -> TeamsAttachment:
    """The FileConsentCard asking to save one of the core's files to the person's OneDrive."""
    context = {
        "file": attachment.file_id,
        "for": offered_to,
        "name": attachment.name,
        "again": attachment.again,
    }
    card = FileConsentCard(
        description=description,
        size_in_bytes=attachment.size,
        accept_context=context,
        decline_context=context,
    )
    return TeamsAttachment(
        content_type=CONSENT_CARD,
        name=attachment.name,
        content=card.model_dump(by_alias=True, exclude_none=True),
    )


def info_card(uploaded: FileUploadInfo) -> TeamsAttachment:
    """The FileInfoCard showing a file now in the person's OneDrive."""
    card = FileInfoCard(unique_id=uploaded.unique_id, file_type=uploaded.file_type, etag=None)
    return TeamsAttachment(
        content_type=INFO_CARD,
        content_url=uploaded.content_url,
        name=uploaded.name,
        content=card.model_dump(by_alias=True, exclude_none=True),
    )


@dataclass(frozen=True)
class ConsentAnswer:
    """What the person said to a FileConsentCard."""

    accepted: bool
    file_id: str
    offered_to: str
    name: str
    again: str
    upload: FileUploadInfo | None


def consent_answer(value: Any) -> ConsentAnswer | None:
    """The ``value`` of a ``fileConsent/invoke``; None when it is not one of our cards'."""
    if not isinstance(value, Mapping):
        return None
    try:
        # The SDK's model requires every field, though a decline carries no uploadInfo.
        blank = {"action": None, "context": None, "uploadInfo": None}
        response = FileConsentCardResponse.model_validate({**blank, **value})
    except ValidationError:
        return None
    context = response.context if isinstance(response.context, Mapping) else {}
    file_id = context.get("file")
    if response.action not in ("accept", "decline") or not isinstance(file_id, str):
        return None
    upload = None
    if response.action == "accept":
        try:
            upload = FileUploadInfo.model_validate(response.upload_info)
        except ValidationError:
            return None
    return ConsentAnswer(
        accepted=response.action == "accept",
        file_id=file_id,
        offered_to=str(context.get("for") or ""),
        name=str(context.get("name") or ""),
        again=str(context.get("again") or ""),
        upload=upload,
    )


def pieces(size: int, piece: int = UPLOAD_PIECE) -> Iterator[tuple[int, int]]:
    """(first, last) byte of each PUT to an upload session, for ``Content-Range``."""
    for start in range(0, size, piece):
        yield start, min(start + piece, size) - 1
