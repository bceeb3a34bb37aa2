"""Workers: the broker, the dramatiq actors, and the pure cleaning and dedup steps they call."""
