from django.urls import path

from . import import_views

app_name = "imports"

urlpatterns = [
    path("", import_views.upload, name="upload"),
    path("history/", import_views.history, name="history"),
    path("<int:pk>/", import_views.batch_detail, name="batch"),
    path("<int:pk>/commit/", import_views.commit, name="commit"),
]
