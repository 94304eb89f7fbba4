"""Pages that show several domains, composed above them.

The event page, the organisation page, the speaker page: each shows rows of domains that
must not know one another (an organisation's events, its feed, its commitments). Their routes
live here, above every domain, and register on the blueprint of the page's own domain, so
endpoint names and URLs stay those of that domain. ``create_app`` imports these modules
before it registers the blueprints.
"""
