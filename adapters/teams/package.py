"""The Teams app package: manifest.json and two icons, zipped, ready to upload.

Upload it in Teams (Apps > Manage your apps > Upload an app) or in the Teams
admin centre. The manifest follows the current schema (v1.30), declares the
bot for personal chats, teams and group chats (with files in personal chats:
exports and rosters to import, refused rows sent back), in private and shared
channels as well as standard ones, and lists Huddle's main commands so Teams can
suggest them. ``messageTeamMembers`` is what lets Huddle start a personal chat with
the members of a team it is added to (:mod:`adapters.teams.reach`).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from adapters.teams.icons import color_icon, outline_icon

MANIFEST_VERSION = "1.30"
SCHEMA = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"

#: (title, description) for Teams' command menu, personal scope, at most 10.
PERSONAL_COMMANDS = (
    ("next", "Your next course, with its link, time and credits"),
    ("progress", "Where you stand in each pathway"),
    ("pathways", "The pathways for your role"),
    ("setup", "How to create your learning-site account"),
    ("settings", "Time zone, quiet hours, reminders, celebrations"),
    ("pause until", "Pause reminders, e.g. pause until dec 1"),
    ("help", "Everything you can say"),
)
TEAM_COMMANDS = (
    ("link team", "Link this channel to a team: link team ICU"),
    ("shoutout", "Thank a teammate: shoutout @name why"),
    ("report", "Where the team stands"),
    ("help", "Everything you can say"),
)


@dataclass(frozen=True)
class AppInfo:
    """What the manifest says about the app and who publishes it."""

    bot_id: str
    app_id: str
    version: str = "1.0.0"
    name: str = "Huddle"
    publisher: str = "Huddle"
    website: str = "https://huddle.example.org"
    privacy: str = "https://huddle.example.org/privacy"
    terms: str = "https://huddle.example.org/terms"
    initiative: str = ""


def manifest(info: AppInfo) -> dict[str, Any]:
    for label, url in (("website", info.website), ("privacy", info.privacy), ("terms", info.terms)):
        if urlsplit(url).scheme != "https" or not urlsplit(url).netloc:
            raise ValueError(f"--{label} must be an https address, got {url!r}")
    about = info.initiative or "your training initiative"
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": info.version,
        "id": info.app_id,
        "developer": {
            "name": info.publisher,
            "websiteUrl": info.website,
            "privacyUrl": info.privacy,
            "termsOfUseUrl": info.terms,
        },
        "name": {"short": info.name[:30], "full": f"{info.name}: {about}"[:100]},
        "description": {
            "short": "Your next course, your progress and your team's training."[:80],
            "full": (
                f'{info.name} runs {about} in Teams. Ask it "what\'s my next course" for the '
                "next course of your pathway, with its link, time and CE credits; see your "
                "progress; pause reminders for leave or nights. Champions and admins enrol "
                "teams, celebrate completions and see where everyone stands. It never needs "
                "patient information."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#1F4E5F",
        "bots": [
            {
                "botId": info.bot_id,
                "scopes": ["personal", "team", "groupChat"],
                "supportsFiles": True,  # exports and rosters sent in a personal chat
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": ["personal"],
                        "commands": [{"title": t, "description": d} for t, d in PERSONAL_COMMANDS],
                    },
                    {
                        "scopes": ["team", "groupChat"],
                        "commands": [{"title": t, "description": d} for t, d in TEAM_COMMANDS],
                    },
                ],
            }
        ],
        # Linking a channel (`@Huddle link team ICU`) and its posts work the same in
        # private and shared channels: the channel's own conversation is saved and used.
        "supportedChannelTypes": ["sharedChannels", "privateChannels"],
        # Starting a personal chat with each member on the roster of a team Huddle is in.
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [urlsplit(info.website).netloc],
    }


def build(info: AppInfo) -> bytes:
    """The zip: manifest.json, color.png (192x192) and outline.png (32x32), at its root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest(info), indent=2))
        archive.writestr("color.png", color_icon())
        archive.writestr("outline.png", outline_icon())
    return buffer.getvalue()
