"""The ``corpus`` command line: one module per group of commands, ``main`` assembles them.

Every ``corpus`` invocation imports every command module, so a command that alone needs a
costly import (the cleaning rules, trafilatura) makes it inside its own function.
"""
