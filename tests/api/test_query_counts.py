"""Every list answers with the same number of queries whatever its length."""

import pytest

# (address, most queries): one to count, one for the rows, one per prefetched relation.
LISTS = [
    ("/api/v1/places/", 2),
    ("/api/v1/countries/", 2),
    ("/api/v1/organisations/", 2),
    ("/api/v1/themes/", 2),
    ("/api/v1/sources/", 2),
    ("/api/v1/practices/", 5),
    ("/api/v1/indicators/", 3),
    ("/api/v1/measurements/", 2),
    ("/api/v1/events/", 3),
]


@pytest.mark.parametrize(("address", "most_queries"), LISTS)
def test_list_queries_do_not_grow_with_limit(
    api_client, many_rows, django_assert_max_num_queries, address, most_queries
):
    with django_assert_max_num_queries(most_queries) as one_row:
        short = api_client.get(address, {"limit": 1})
    with django_assert_max_num_queries(most_queries) as many:
        long = api_client.get(address, {"limit": 50})

    assert short.status_code == long.status_code == 200
    assert len(short.json()["results"]) == 1
    assert len(long.json()["results"]) >= 12
    assert len(one_row.captured_queries) == len(many.captured_queries)


@pytest.mark.parametrize(
    ("address", "most_queries"),
    [
        ("/api/v1/places/", 7),
        ("/api/v1/practices/", 10),
        ("/api/v1/events/", 5),
        ("/api/v1/organisations/", 3),
        ("/api/v1/indicators/", 3),
    ],
)
def test_detail_queries_are_bounded(
    api_client, many_rows, django_assert_max_num_queries, address, most_queries
):
    first = api_client.get(address, {"limit": 1}).json()["results"][0]

    with django_assert_max_num_queries(most_queries):
        response = api_client.get(first["url"])

    assert response.status_code == 200
