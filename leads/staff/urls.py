"""Channel-manager and internal-sales pages of the leads app, under /manage/ (namespace "manage")."""

from django.urls import path

from leads.staff import policy_views, views

urlpatterns = [
    path("pool/", views.pool, name="pool"),
    path("reassign/", views.reassign, name="reassign"),
    path("reassign/bulk/", views.reassign_bulk, name="reassign_bulk"),
    path("leads/<int:pk>/reassign/", views.lead_reassign, name="lead_reassign"),
    path("leads/<int:pk>/privacy/", views.lead_privacy, name="lead_privacy"),
    path("leads/<int:pk>/privacy/export/", views.lead_privacy_export, name="lead_privacy_export"),
    path("leads/<int:pk>/privacy/erase/", views.lead_privacy_erase, name="lead_privacy_erase"),
    path("lookup/", views.lookup, name="lookup"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path(
        "accounts/<int:pk>/privacy/export/",
        views.account_privacy_export,
        name="account_privacy_export",
    ),
    path(
        "accounts/<int:pk>/privacy/erase/",
        views.account_privacy_erase,
        name="account_privacy_erase",
    ),
    path("staff/", views.staff_list, name="staff"),
    path("staff/<int:user_pk>/out-of-office/", views.staff_out_of_office, name="staff_ooo"),
    path("out-of-office/", views.my_out_of_office, name="my_ooo"),
    path("reports/rejections/", views.rejections, name="rejections"),
    path("routing/", policy_views.routing_policy, name="routing_policy"),
]
