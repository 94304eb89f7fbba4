"""``flask demo``: the newsletter's world (data), loaded idempotently (loader), with the Lo
Prado round table's minutes and commitments (followup), and the open round table's registration
form with people who answered it (questions)."""
