from django.http import HttpRequest, HttpResponse


def home(request: HttpRequest, slug: str) -> HttpResponse:
    raise NotImplementedError
