"""The queue runtime on dramatiq: the broker, the messages, and the middleware every worker
process runs (its registry entry, the janitor that hands back dead workers' messages, the
dead-letter reasons, the queue sampler, the dedup-window sweep), plus the counters workers
write. Each piece is handed the connections it needs (``workers.runtime`` assembles them)."""
