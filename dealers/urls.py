"""The dealer's own pages under /dealer/ (namespace "dealers")."""

from django.urls import path

from dealers import views

app_name = "dealers"
urlpatterns = [
    path("claims/", views.claim_list, name="claims"),
    path("claims/check/", views.claim_check, name="claim_check"),
    path("claims/<int:pk>/", views.claim_detail, name="claim"),
    path("claims/<int:pk>/renew/", views.claim_renew, name="claim_renew"),
    path("claims/<int:pk>/withdraw/", views.claim_withdraw, name="claim_withdraw"),
    path("scorecard/", views.scorecard, name="scorecard"),
    path("team/", views.team, name="team"),
    path("team/<int:pk>/deactivate/", views.member_deactivate, name="member_deactivate"),
    path("team/<int:pk>/reactivate/", views.member_reactivate, name="member_reactivate"),
]
