from django.urls import include, path

from leads.api import account_views, views

urlpatterns = [
    path("leads/", views.LeadListCreateView.as_view(), name="api-leads"),
    path("leads/batch/", views.LeadBatchView.as_view(), name="api-leads-batch"),
    path("leads/<int:pk>/", views.LeadDetailView.as_view(), name="api-lead"),
    path("leads/<int:pk>/status/", views.LeadStatusView.as_view(), name="api-lead-status"),
    path("claims/", include("dealers.api")),
    path("accounts/batch/", account_views.AccountBatchView.as_view(), name="api-accounts-batch"),
    path(
        "accounts/<str:external_id>/",
        account_views.AccountSyncView.as_view(),
        name="api-account",
    ),
]
