"""The Slack app manifest asks for what the bot uses, and nothing it does not."""

from __future__ import annotations

import ast

import yaml

from adapters.slack.manifest import load, manifest
from bot.settings import PROJECT_ROOT
from tests.test_cli import huddle

#: What each Web API method the code calls needs (api.slack.com/methods/<method>, "Required
#: scopes", bot tokens). A method called that is not here fails the test below: look it
#: up and add it, with its scopes.
METHOD_SCOPES: dict[str, set[str]] = {
    "api_test": set(),
    "auth_test": set(),
    "chat_postMessage": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "chat_update": {"chat:write"},
    # Scheduled posts are reconciled after a crash in team channels, private channels
    # and DMs alike.
    "conversations_history": {"channels:history", "groups:history", "im:history"},
    "conversations_open": {"im:write"},
    "files_getUploadURLExternal": {"files:write"},
    "files_completeUploadExternal": {"files:write"},
    "files_info": {"files:read"},
    "users_info": {"users:read", "users:read.email"},  # the email links a person
    "views_open": set(),
    "views_publish": set(),
}
#: What each event subscription needs (api.slack.com/events/<event>).
EVENT_SCOPES: dict[str, set[str]] = {
    "app_home_opened": set(),
    "app_mention": {"app_mentions:read"},
    "app_uninstalled": set(),
    "tokens_revoked": set(),
    "message.channels": {"channels:history"},
    "message.groups": {"groups:history"},
    "message.im": {"im:history"},
}


def _methods_called() -> set[str]:
    """Every Web API method the Slack adapter calls: ``client.<method>``, called or passed
    on (``self._call(self.client.chat_postMessage, ...)``)."""
    found: set[str] = set()
    for path in (PROJECT_ROOT / "adapters" / "slack").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Attribute):
                continue
            owner = node.value
            named = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if (
                named in ("client", "_client")
                and not node.attr.startswith("_")
                and "_" in node.attr
            ):
                found.add(node.attr)
    return found


def test_the_declared_scopes_are_exactly_what_the_calls_and_events_need() -> None:
    data = load()
    called = _methods_called()
    assert called, "no Web API calls found: the scan is broken"
    unknown = called - set(METHOD_SCOPES) - {"user_token_client"}
    assert not unknown, f"look up the scopes of {sorted(unknown)} and add them above"
    needed = set().union(*(METHOD_SCOPES[m] for m in called if m in METHOD_SCOPES))
    events = data["settings"]["event_subscriptions"]["bot_events"]
    needed |= set().union(*(EVENT_SCOPES[e] for e in events))
    if data["features"].get("slash_commands"):
        needed.add("commands")
    declared = set(data["oauth_config"]["scopes"]["bot"])
    assert declared - needed == set(), "declared but never used"
    assert needed - declared == set(), "used but not declared"


def test_manifest_matches_what_the_bot_uses() -> None:
    data = load()
    scopes = set(data["oauth_config"]["scopes"]["bot"])
    assert scopes == {
        "app_mentions:read",
        "channels:history",  # reconciling scheduled posts after a crash (message metadata)
        "chat:write",
        "commands",
        "files:read",  # files.info and the private download of a file sent in a DM
        "files:write",  # an import's refused rows uploaded back (files_upload_v2)
        "groups:history",
        "im:history",  # message.im, file shares in the DM included
        "im:write",
        "users:read",
        "users:read.email",
    }
    assert set(data["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_mention",
        "app_uninstalled",  # several workspaces: the installation is deleted, sends stop
        "tokens_revoked",  # the same when a workspace revokes the bot's token
        "message.channels",  # replies in threads under Huddle's posts, screened for patient details
        "message.groups",  # the same in private channels
        "message.im",
    }
    (command,) = data["features"]["slash_commands"]
    assert command["command"] == "/huddle" and command["should_escape"] is True
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert data["settings"]["interactivity"]["is_enabled"] is True


def test_manifest_for_http_and_socket_mode() -> None:
    http = yaml.safe_load(manifest("https://huddle.hospital.org/"))
    assert (
        http["settings"]["event_subscriptions"]["request_url"]
        == "https://huddle.hospital.org/slack/events"
    )
    assert (
        http["features"]["slash_commands"][0]["url"] == "https://huddle.hospital.org/slack/events"
    )
    assert http["oauth_config"]["redirect_urls"] == [
        "https://huddle.hospital.org/slack/oauth_redirect"
    ]
    assert http["settings"]["token_rotation_enabled"] is False  # one token, kept as it is
    socket = yaml.safe_load(manifest(socket_mode=True))
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in socket["settings"]["interactivity"]
    assert "redirect_urls" not in socket["oauth_config"]
    several = yaml.safe_load(manifest("https://huddle.hospital.org", workspaces=True))
    assert several["settings"]["token_rotation_enabled"] is True
    assert several["settings"]["org_deploy_enabled"] is True
    assert several["oauth_config"]["redirect_urls"] == [
        "https://huddle.hospital.org/slack/oauth_redirect"
    ]


def test_manifest_command(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok = huddle("slack", "manifest", "--url", "https://h.example.org", cwd=tmp_path)
    assert ok.returncode == 0 and "https://h.example.org/slack/events" in ok.stdout
    bad = huddle("slack", "manifest", "--url", "http://insecure", cwd=tmp_path)
    assert bad.returncode == 2 and "--socket-mode" in bad.stderr
