"""Who is acting: the session's user (Flask-Login), else on /api/ the user of a Bearer token."""
from flask import g, request

from ..extensions import db, login_manager
from .models import User


@login_manager.user_loader
def load_user(user_id):
    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError, OverflowError):
        return None


@login_manager.request_loader
def load_token_user(req):
    header = req.headers.get("Authorization", "")
    if not (header.startswith("Bearer ") and request.path.startswith("/api/")):
        return None
    from .services import user_for_token
    user = user_for_token(header[7:].strip())
    if user is not None:
        g.token_auth = True  # no CSRF check: a browser never adds this header on its own
    return user
