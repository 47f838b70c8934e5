"""Channel-manager pages (performance, allocation, review), under /manage/ (namespace "manage")."""

from django.urls import path

from dealers.performance import views

urlpatterns = [
    path("scorecards/", views.scorecards_table, name="scorecards"),
    path("scorecards/<int:pk>/", views.scorecard_detail, name="scorecard_detail"),
    path("reps/", views.rep_scorecards, name="rep_scorecards"),
    path("allocation/", views.allocation_page, name="allocation"),
    path("allocation/apply/", views.allocation_apply, name="allocation_apply"),
    path("allocation/<int:pk>/", views.allocation_dealer, name="allocation_dealer"),
    path(
        "allocation/<int:pk>/end-override/",
        views.allocation_override_end,
        name="allocation_override_end",
    ),
    path("fairness/", views.fairness, name="fairness"),
    path("claims/", views.claim_review, name="claims"),
    path("claims/<int:pk>/decide/", views.claim_decide, name="claim_decide"),
]
