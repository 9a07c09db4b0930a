"""Socket.IO packets the server cannot read are dropped with one log line.

python-socketio decodes every incoming message with `json.loads` before any
handler runs. A message that is not JSON, or whose JSON nests deeper than
Python's parser follows (a 200 KB message of `[` is well under the 1 MB
message cap), raises out of the decoder: ValueError or RecursionError.
engine.io catches it, so the server keeps serving, but it logs a full
traceback twice for every such message: a sender could fill the disk with
them, and a real fault would drown in the noise.

A terminal never sends such a message, so there is no request to answer (its
ack id may not even be readable): the packet becomes an event for a namespace
nobody joins, which python-socketio ignores, and one English warning line
says what was dropped. The connection stays up; every other message on it is
served as before.
"""
from __future__ import annotations

import logging

from socketio import packet

log = logging.getLogger("guichet.server")

DROPPED_NAMESPACE = "/dropped-unreadable-message"


class GuardedPacket(packet.Packet):
    """python-socketio's packet (`SocketIO(serializer=GuardedPacket)`), whose decoding
    never raises."""

    def decode(self, encoded_packet) -> int:
        try:
            return super().decode(encoded_packet)
        except (RecursionError, ValueError) as exc:
            why = "nested too deeply" if isinstance(exc, RecursionError) else "malformed"
            size = len(encoded_packet) if isinstance(encoded_packet, (str, bytes)) else 0
            log.warning("dropped an unreadable Socket.IO message (%s, %d characters)", why, size)
            self.packet_type = packet.EVENT
            self.namespace = DROPPED_NAMESPACE
            self.id = None
            self.data = ["dropped"]
            return 0
