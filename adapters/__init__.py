"""Adapters: translate between a chat platform and Huddle's neutral core.

Each adapter turns platform payloads into :class:`bot.messages.Incoming`,
calls :meth:`bot.core.Bot.handle`, and renders the :class:`bot.messages.Outgoing`
answers in the platform's own format. The console adapter is the first.
"""
