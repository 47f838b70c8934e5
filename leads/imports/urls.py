from django.urls import path

from leads.imports import views

urlpatterns = [
    path("imports/", views.import_list, name="import"),
    path("imports/example.csv", views.import_example, name="import_example"),
    path("imports/accounts/", views.import_accounts, name="import_accounts"),
    path(
        "imports/accounts-example.csv",
        views.import_accounts_example,
        name="import_accounts_example",
    ),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
]
