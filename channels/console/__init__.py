"""A loopback "console" channel: participants' messages arrive by a function call and answers
land in an in-memory outbox, through the same channel-neutral path a phone channel uses
(stored inbound message and its job in one transaction, answered once, split for the
channel's limit, delivered part by part exactly once, statuses tracked).

It exists to prove the channel interface with a second implementation and to exercise that
path in tests without any outside service; it runs in development only.
"""

from channels.console.channel import ConsoleChannel, Outgoing

__all__ = ["ConsoleChannel", "Outgoing"]
