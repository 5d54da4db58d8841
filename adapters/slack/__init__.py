"""The Slack adapter: Huddle in a Slack workspace with slack-bolt.

- :mod:`adapters.slack.render`: the neutral message model as Block Kit.
- :mod:`adapters.slack.translate`: Slack payloads and text as the core's input.
- :mod:`adapters.slack.adapter`: the Bolt app: events, ``/huddle``, buttons, App Home.
- :mod:`adapters.slack.settings`: ``HUDDLE_SLACK_*`` settings.
"""
