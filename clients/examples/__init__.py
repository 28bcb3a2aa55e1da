"""Runnable example scripts of the SDK: ``python -m clients.examples.<name> --help``.

Each takes ``--server --user --password`` (defaults: ``PYESX_SERVER``, ``PYESX_USER``,
``PYESX_PASSWORD``). See ``docs/sdk.md``.
"""
