from django.urls import path

from . import proposal_views, review_views

app_name = "review"

urlpatterns = [
    path("", review_views.review_queue, name="queue"),
    # Before the case patterns: "places" would otherwise be read as a case's slug.
    path("places/", proposal_views.proposal_list, name="place-proposals"),
    path("places/<int:pk>/decide/", proposal_views.decide_place, name="decide-place"),
    path("<uslug:slug>/", review_views.review_page, name="practice"),
    path("<uslug:slug>/assign/", review_views.assign_to_me, name="assign"),
    path("<uslug:slug>/step/<slug:verb>/", review_views.take_step, name="step"),
]
