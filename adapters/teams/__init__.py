"""The Microsoft Teams adapter: Huddle in Teams with the Microsoft 365 Agents SDK.

- :mod:`adapters.teams.cards`: the neutral message model as Adaptive Cards 1.5.
- :mod:`adapters.teams.translate`: Teams activities as the core's input.
- :mod:`adapters.teams.package`: the Teams app package (manifest and icons).
- :mod:`adapters.teams.settings`: ``HUDDLE_TEAMS_*`` settings.

The SDK stays inside this package; the core does not know Teams exists.
"""
