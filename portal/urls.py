"""URL configuration: pages per app, the REST API, accounts and the staff admin."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from leads import home, inbound
from portal import api, views

urlpatterns = [
    path("", home.home, name="home"),
    # Browsers ask for /favicon.ico on pages without an icon link (API answers, files).
    path("favicon.ico", views.favicon),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("accounts/", include("allauth.urls")),
    path("inbound/", inbound.inquiry, name="inbound"),
    path("inbound/thanks/", inbound.thanks, name="inbound-thanks"),
    path("me/", include("portal.users.urls")),
    path("leads/", include("leads.urls")),
    path("dealer/", include("dealers.urls")),
    path("webhooks/", include("leads.webhooks.urls")),
    path("manage/", include("portal.manage_urls")),
    path("api/v1/", include("leads.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^api/", api.api_not_found),
    path("admin/", admin.site.urls),
]
