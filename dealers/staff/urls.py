"""Channel-manager and internal-sales pages of the dealers app, under /manage/ (namespace "manage")."""

from django.urls import path

from dealers.staff import views

urlpatterns = [
    path("dealers/", views.dealer_list, name="dealer_list"),
    path("dealers/new/", views.dealer_create, name="dealer_create"),
    path("dealers/<int:pk>/", views.dealer_detail, name="dealer_detail"),
    path("dealers/<int:pk>/edit/", views.dealer_edit, name="dealer_edit"),
    path("dealers/<int:pk>/status/", views.dealer_status, name="dealer_status"),
    path("dealers/<int:pk>/capacity/", views.dealer_capacity, name="dealer_capacity"),
    path("dealers/<int:pk>/invite/", views.dealer_invite, name="dealer_invite"),
]
