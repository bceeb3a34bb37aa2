"""The ``corpus`` command line: one module per group of commands, ``main`` assembles them."""
