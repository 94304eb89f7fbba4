"""``flask demo``: the newsletter's world (data), loaded idempotently (loader), with the Lo
Prado round table's minutes and commitments (followup)."""
