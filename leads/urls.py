from django.urls import path

from leads import email_views, views

app_name = "leads"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("mine/", views.mine, name="mine"),
    path("send/", views.submit, name="submit"),
    path("<int:pk>/", views.lead_detail, name="detail"),
    path("<int:pk>/accept/", views.lead_accept, name="accept"),
    path("<int:pk>/reject/", views.lead_reject, name="reject"),
    path("<int:pk>/contact/", views.lead_log_contact, name="contact"),
    path("<int:pk>/status/", views.lead_set_status, name="status"),
    path("<int:pk>/note/", views.lead_add_note, name="note"),
    path("<int:pk>/hand-over/", views.lead_hand_over, name="hand_over"),
    path("email/<str:token>/", email_views.email_action, name="email_action"),
]
