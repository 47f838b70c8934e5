"""A person's own pages under /me/: notifications and preferences (with API tokens)."""

from django.urls import path
from django.views.generic import RedirectView

from portal.users import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="preferences"), name="me"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/tokens/", views.token_create, name="token_create"),
    path("preferences/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
