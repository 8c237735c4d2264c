"""Train one trial on several devices with tf.distribute (`--devices N`, off by default).

The model is built and compiled inside a `MirroredStrategy`'s scope (through the trainer's
BUILD_SCOPE hook); Keras then splits each batch over the replicas and averages the gradients.
With N accelerators present, the first N are used. Without any, the CPU is split into N logical
devices: no faster, but the same code path, which is how it is tested on machines without
accelerators. Must run before TensorFlow starts (before any data is loaded)."""

from __future__ import annotations

from typing import Any

from ...errors import ArchError


def use_devices(n: int) -> Any:
    """Make every model of this process train on `n` devices; returns the strategy."""
    import tensorflow as tf

    from .. import trainer

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        if len(gpus) < n:
            raise ArchError(f"--devices {n}: this host has {len(gpus)} GPU(s)")
        names = [f"/gpu:{i}" for i in range(n)]
    else:
        cpu = tf.config.list_physical_devices("CPU")[0]
        try:
            tf.config.set_logical_device_configuration(
                cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(n)])
        except RuntimeError:
            if len(tf.config.list_logical_devices("CPU")) < n:
                raise ArchError(f"--devices {n}: TensorFlow has started already with fewer "
                                "devices") from None
        names = [f"/cpu:{i}" for i in range(n)]
    strategy = tf.distribute.MirroredStrategy(names)
    trainer.BUILD_SCOPE = strategy.scope
    return strategy


__all__ = ["use_devices"]
