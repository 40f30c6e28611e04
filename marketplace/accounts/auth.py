"""Who is acting: on /api/ a request with `Authorization: Bearer …` is its token's user (or anonymous when the
token is not valid), whatever session cookie it also carries; otherwise the session's user (Flask-Login)."""
from flask import g, request
from flask_login import AnonymousUserMixin

from ..core.web import token_resolver
from ..extensions import db, login_manager
from .models import User


class Visitor(AnonymousUserMixin):
    """A visitor who is not logged in: answers every attribute a policy reads, so a public page never fails
    on `actor.org_id` (it is None, matching no organisation)."""
    id = org_id = role = org = email = name = None
    is_admin = active = False


login_manager.anonymous_user = Visitor


@login_manager.user_loader
def load_user(user_id):
    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError, OverflowError):
        return None


def bearer_token(req) -> str | None:
    header = req.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") and req.path.startswith("/api/") else None


@login_manager.request_loader
def load_token_user(req):
    token = bearer_token(req)
    if token is None:
        return None
    from .services import user_for_token
    return user_for_token(token)


@token_resolver
def token_request_user():
    """Called by the pipeline before anything else: a Bearer request's user (a Visitor when the token is not
    valid) or None when the request has no Bearer header. A browser never adds this header on its own, so
    such a request needs no CSRF token and its session cookie, if any, is ignored."""
    if bearer_token(request) is None:
        return None
    g.token_auth = True
    return load_token_user(request) or Visitor()
