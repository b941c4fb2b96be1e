"""The detectors: each takes whole columns of a :class:`~hazrisk.safety.track.Track` and returns
an event frame (:data:`~hazrisk.safety.detectors.events.EVENT_COLUMNS`)."""
