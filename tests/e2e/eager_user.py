"""A middleware that reads the signed-in user before any view runs, as many do (Django's RemoteUser one, an
auditing one): with the database down, its failure happens outside every view, where only handler500 sees it."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class EagerUserMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:  # loads the session, then the user
            request.META["HTTP_X_SIGNED_IN"] = "yes"
        return self.get_response(request)
