"""What a heartbeat carries: Keras Tuner's UpdateTrial sends a trial id and numbers only, so
the sender and its progress are metrics under these names (the chief never records them)."""

from __future__ import annotations

import zlib

HEARTBEAT = "archspace/heartbeat"     # present in a heartbeat's metrics
WORKER = "archspace/worker"           # the sender's id, as worker_code(tuner_id)
EPOCH, EPOCHS = "archspace/epoch", "archspace/epochs"
LOG = "archspace/log/"                # prefix of the epoch's logs a heartbeat carries


def worker_code(tuner_id: str) -> float:
    """A worker's id as a number (heartbeats carry only numbers); exact in a double."""
    return float(zlib.crc32(tuner_id.encode()))
