"""The Slack app manifest asks for what the bot uses, and nothing it does not."""

from __future__ import annotations

import yaml

from adapters.slack.manifest import load, manifest
from tests.test_cli import huddle


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
        "im:read",
        "im:write",
        "users:read",
        "users:read.email",
    }
    assert set(data["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_mention",
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
    socket = yaml.safe_load(manifest(socket_mode=True))
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in socket["settings"]["interactivity"]


def test_manifest_command(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok = huddle("slack", "manifest", "--url", "https://h.example.org", cwd=tmp_path)
    assert ok.returncode == 0 and "https://h.example.org/slack/events" in ok.stdout
    bad = huddle("slack", "manifest", "--url", "http://insecure", cwd=tmp_path)
    assert bad.returncode == 2 and "--socket-mode" in bad.stderr
