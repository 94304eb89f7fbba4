"""Pages that show several domains, composed above all of them.

A domain's own routes show only what that domain holds and what lies below it. A page that
also shows what higher domains hold (the event page: registrations, the agenda; the
programme page: attendance, follow-up) is composed here, so that no domain imports one above
it. Each module adds its routes to the blueprint of the page's domain, so URLs and endpoint
names stay that domain's; ``create_app`` imports the modules named in ``MODULES`` before it
registers any blueprint.
"""

MODULES = ("events", "organisations", "people")
