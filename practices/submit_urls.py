from django.urls import path

from . import proposal_views, submit_views

app_name = "submit"

urlpatterns = [
    path("", submit_views.my_practices, name="mine"),
    path("new/", submit_views.practice_create, name="new"),
    path("<uslug:slug>/", submit_views.practice_preview, name="preview"),
    path("<uslug:slug>/edit/", submit_views.practice_edit, name="edit"),
    path("<uslug:slug>/places/propose/", proposal_views.propose_place, name="propose-place"),
]
