from django.urls import path

from . import review_views

app_name = "review"

urlpatterns = [
    path("", review_views.review_queue, name="queue"),
    path("<uslug:slug>/", review_views.review_page, name="practice"),
    path("<uslug:slug>/assign/", review_views.assign_to_me, name="assign"),
    path("<uslug:slug>/step/<slug:verb>/", review_views.take_step, name="step"),
]
