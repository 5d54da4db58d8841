"""Scheduling and delivery settings, from ``HUDDLE_*`` environment variables.

The pacing defaults sit inside the platforms' published limits: Slack allows
about one message a second per channel and a workspace budget per minute;
Teams a few messages a second per conversation and a budget a second per
tenant. ``0`` turns a limit off (the benchmarks use that against a local
server).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from scheduler.delivery import Limits


class SchedulingSettings(BaseSettings):
    """``huddle run``'s scheduler.

    ``tick_seconds``: how often due schedules are planned.
    ``misfire_grace_hours``: after downtime, a missed occurrence later than this is
    skipped (and logged), not sent.
    ``slack_per_minute`` / ``slack_channel_gap``: Slack workspace budget a minute, and
    seconds between two messages to one channel or person.
    ``teams_per_second`` / ``teams_conversation_gap``: the same for Teams, per tenant.
    ``concurrency``: sends in flight at once per process.
    ``delivery_lease_seconds``: how long a claimed message is this process's to send;
    after a crash, another process takes it over (and reconciles it) once it runs out.
    ``enabled``: ``0`` serves chat only (a replica that must never send).
    """

    model_config = SettingsConfigDict(env_prefix="HUDDLE_", extra="ignore")

    tick_seconds: float = Field(
        default=60.0, gt=0, le=3600, description="How often due schedules are planned, in seconds."
    )
    misfire_grace_hours: float = Field(
        default=12.0,
        ge=0,
        le=168,
        description=(
            "After downtime, an occurrence missed by more than this is skipped (and logged), not "
            "sent late."
        ),
    )
    slack_per_minute: float = Field(
        default=600.0, ge=0, description="Messages a minute sent to one Slack workspace."
    )
    slack_channel_gap: float = Field(
        default=1.0,
        ge=0,
        description="Seconds between two messages to one Slack channel or person.",
    )
    teams_per_second: float = Field(
        default=50.0, ge=0, description="Messages a second sent to one Teams tenant."
    )
    teams_conversation_gap: float = Field(
        default=1.0, ge=0, description="Seconds between two messages to one Teams conversation."
    )
    concurrency: int = Field(
        default=50, ge=1, le=1000, description="Sends in flight at once in each process."
    )
    delivery_lease_seconds: float = Field(
        default=60.0,
        ge=1,
        le=3600,
        description=(
            "How long a claimed message is this process's to send; after a crash another replica "
            "takes it over (and looks for it first) once this runs out."
        ),
    )
    scheduler_enabled: bool = Field(
        default=True, description="false serves chat only: a replica that never plans or sends."
    )

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.delivery_lease_seconds)

    @property
    def grace(self) -> timedelta:
        return timedelta(hours=self.misfire_grace_hours)

    def limits(self) -> dict[str, Limits]:
        return {
            # Slack counts its per-minute limits over a sliding minute: a burst up to the
            # budget is allowed, then the window paces.
            "slack": Limits(self.slack_per_minute, self.slack_channel_gap, window=60.0),
            "teams": Limits(self.teams_per_second * 60, self.teams_conversation_gap),
        }
