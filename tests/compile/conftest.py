"""Fixtures for the Keras back-end tests: Keras and Keras Tuner, imported lazily (helpers live in
compile_helpers.py)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    return keras


@pytest.fixture(scope="session")
def kt(keras):
    import keras_tuner

    return keras_tuner
