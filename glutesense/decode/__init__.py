"""Raw packets to samples on the session clock: the decoder and the device-clock fit (pure)."""
