"""The kiosk, the visitor's status page and the counter console, served by ticketing."""

from ticketing.web.routes import router

__all__ = ["router"]
