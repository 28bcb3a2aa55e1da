"""The VM's remote console in the vmx: the screen (a terminal emulator), its viewers, screenshots."""

from vmx.console.hub import ConsoleHub, GuestConsole, Viewer
from vmx.console.screen import Attr, Screen, ScreenText

__all__ = ["Attr", "ConsoleHub", "GuestConsole", "Screen", "ScreenText", "Viewer"]
