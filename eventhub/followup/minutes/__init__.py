"""Minutes and materials: what was said at the event and the files handed out, each readable
by the audience its organisers chose (public, participants, organisers)."""
