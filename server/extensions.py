"""Extensions, created unbound and bound in create_app()."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from server.core.cookies import CheckedOnceCSRF
from server.core.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CheckedOnceCSRF()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
