from django.urls import path

from . import downloads, views

app_name = "indicators"

urlpatterns = [
    path("", views.indicator_list, name="list"),
    path("<slug:code>/", views.indicator_detail, name="detail"),
    path("<slug:code>/values.csv", downloads.indicator_values_csv, name="values-csv"),
    *(
        path(
            f"<slug:code>/comparison.{fmt}",
            downloads.comparison_download,
            {"fmt": fmt},
            name=f"comparison-{fmt}",
        )
        for fmt in downloads.DOWNLOADERS
    ),
]
