"""The live path: the recorder (cues, link, session file), live envelopes and replay."""
