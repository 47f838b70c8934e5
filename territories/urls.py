"""Channel-manager and internal-sales pages of the territories app, under /manage/ (namespace "manage")."""

from django.urls import path

from territories import views

urlpatterns = [
    path("territories/", views.territory_list, name="territories"),
    path("territories/new/", views.territory_edit, name="territory_create"),
    path("territories/import/", views.territory_import, name="territory_import"),
    path("territories/export.csv", views.territory_export, name="territory_export"),
    path("territories/coverage/", views.territory_coverage, name="territory_coverage"),
    path("territories/<int:pk>/", views.territory_detail, name="territory_detail"),
    path("territories/<int:pk>/edit/", views.territory_edit, name="territory_edit"),
]
