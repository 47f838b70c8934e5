"""The portal's URLs plus ``/bench/bare/``: a plain Django view that inserts one row, the
baseline the API intake is measured against."""

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from portal.urls import urlpatterns as portal_urlpatterns


@csrf_exempt
def bare(request):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_bare (body) VALUES (%s) RETURNING id", [request.body.decode()]
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


urlpatterns = [*portal_urlpatterns, path("bench/bare/", bare)]
