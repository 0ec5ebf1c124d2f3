"""Signal conditioning, envelopes, baselines and movement onset (pure functions on arrays)."""
