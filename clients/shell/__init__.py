"""A PowerCLI-style shell for pyesx: ``pyesx shell -c "Get-VM web* | Start-VM"``.

Source text is tokenized (``lexer``), parsed to a syntax tree (``parser``,
``nodes``) and evaluated (``evaluator``); commands are cmdlets (``cmdlets``)
whose arguments are bound by ``binding`` and whose output objects
(``psobject``, ``views``) are shown by ``formatting`` or ``jsonout``.
The host is reached through a client (``session``), made lazily.

    main(argv, connect=None) -> exit code
"""

from __future__ import annotations

from clients.shell.main import main

__all__ = ["main"]
