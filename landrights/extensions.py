"""Bare extension instances, bound to the app in create_app()."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from landrights.db import Database

db = Database()
babel = Babel()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(get_remote_address, storage_uri="memory://", default_limits=[])
