from django.urls import path

from leads.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("new/", views.endpoint_new, name="new"),
    path("<int:pk>/", views.endpoint_detail, name="detail"),
    path("<int:pk>/edit/", views.endpoint_edit, name="edit"),
    path("<int:pk>/switch/", views.endpoint_switch, name="switch"),
    path("<int:pk>/secret/", views.endpoint_rotate_secret, name="rotate_secret"),
    path("<int:pk>/test/", views.endpoint_ping, name="ping"),
    path("<int:pk>/delete/", views.endpoint_delete, name="delete"),
    path("deliveries/<int:pk>/resend/", views.delivery_resend, name="resend"),
]
