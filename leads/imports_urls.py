from django.urls import path

from leads import imports_views

urlpatterns = [
    path("imports/", imports_views.import_list, name="import"),
    path("imports/example.csv", imports_views.import_example, name="import_example"),
    path("imports/<int:pk>/", imports_views.import_detail, name="import_detail"),
]
