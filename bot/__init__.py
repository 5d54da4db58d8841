"""Huddle's platform-neutral core.

Nothing in this package imports a chat SDK, an HTTP library or the scheduler:
adapters translate platform payloads into :class:`bot.messages.Incoming`,
:meth:`bot.core.Bot.handle` answers with :class:`bot.messages.Outgoing`, and
the adapter renders those for its platform. Only the composition root
(:mod:`bot.cli`, :mod:`bot.app`) wires adapters in, lazily.
"""
