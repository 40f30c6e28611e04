"""Domain errors. Services raise these; core.web maps them to HTTP (JSON for the API, pages otherwise)."""


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class BadRequest(AppError):
    status, code = 400, "bad_request"


class ValidationFailed(AppError):
    status, code = 422, "validation_failed"


class NotAuthenticated(AppError):
    status, code = 401, "unauthenticated"


class Forbidden(AppError):
    status, code = 403, "forbidden"


class NotFound(AppError):
    status, code = 404, "not_found"


class Conflict(AppError):
    status, code = 409, "conflict"
