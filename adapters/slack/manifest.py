"""The Slack app manifest, filled in for a deployment."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

MANIFEST = Path(__file__).with_name("manifest.yaml")
PLACEHOLDER = "https://huddle.example.org"


def load() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return data


def manifest(url: str = "", *, socket_mode: bool = False, workspaces: bool = False) -> str:
    """The manifest as YAML: with ``url`` for HTTP mode, or set up for Socket Mode.

    ``workspaces``: for several workspaces (HUDDLE_SLACK_CLIENT_ID), with tokens that
    rotate (Huddle refreshes them) and, for Enterprise Grid, deployable org-wide.
    """
    data = load()
    settings = data["settings"]
    if workspaces and socket_mode:
        raise ValueError("--workspaces needs a public URL (--url), not --socket-mode")
    if workspaces:
        settings["token_rotation_enabled"] = True
        settings["org_deploy_enabled"] = True
    if socket_mode:
        settings["socket_mode_enabled"] = True
        settings["event_subscriptions"].pop("request_url", None)
        settings["interactivity"].pop("request_url", None)
        for command in data["features"]["slash_commands"]:
            command.pop("url", None)
    else:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.netloc:
            raise ValueError(
                "--url must be the public https address of `huddle run`, e.g. "
                "https://huddle.your-hospital.org (or use --socket-mode)"
            )
        events = url.rstrip("/") + "/slack/events"
        settings["event_subscriptions"]["request_url"] = events
        settings["interactivity"]["request_url"] = events
        for command in data["features"]["slash_commands"]:
            command["url"] = events
        data["oauth_config"]["redirect_urls"] = [url.rstrip("/") + "/slack/oauth_redirect"]
    if socket_mode:
        data["oauth_config"].pop("redirect_urls", None)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
