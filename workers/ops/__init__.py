"""The operations tools: ``ledger`` (``corpus verify [--repair]``), ``dlq`` (dead letters),
``metrics`` (the figures read back) and ``status`` (the report behind ``corpus status`` and
``/api/status``)."""
