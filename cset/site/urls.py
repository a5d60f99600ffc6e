from django.urls import path

from . import views

app_name = "site"

urlpatterns = [
    path("", views.home, name="home"),
    path("places/<uslug:slug>/", views.place_profile, name="place"),
    path("about/", views.about, name="about"),
    path("about/data/", views.about_data, name="about-data"),
    path("favicon.ico", views.favicon, name="favicon"),
]
