"""Channel-manager pages (performance, allocation, review), under /manage/ (namespace "manage")."""

from django.urls import path

from leads.dashboard import views

urlpatterns = [
    path("dashboard/", views.dashboard_page, name="dashboard"),
]
