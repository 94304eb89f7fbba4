"""Extensions, created unbound and initialised in ``create_app``."""

from functools import cached_property

from babel import support
from flask_babel import Babel, Domain, get_locale
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from eventhub.orm import Base


class LocaleKeyedDomain(Domain):
    """Flask-Babel's domain, finding the catalogue with one look at the request context.

    The stock lookup looks the request context up twice on every string: a page that says two
    hundred things spent a tenth of its time there. The catalogue found is the one the stock
    lookup loads and keeps, per locale.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.by_locale: dict[str, support.NullTranslations] = {}

    def get_translations(self) -> support.NullTranslations:
        locale = get_locale()
        if locale is None:
            return support.NullTranslations()
        try:
            return self.by_locale[str(locale)]
        except KeyError:
            found = self.by_locale[str(locale)] = super().get_translations()
            return found


class EventHubBabel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return LocaleKeyedDomain(domain=self.domain)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = EventHubBabel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
