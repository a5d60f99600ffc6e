from django.db.models import F
from rest_framework.filters import OrderingFilter


class NullsLastOrderingFilter(OrderingFilter):
    """``?ordering=`` with missing values last in both directions, on every database,
    and the primary key as the final tie-breaker so that pages never repeat or skip rows.

    Unknown fields are ignored, as DRF does, rather than failing the request.
    """

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        expressions = []
        for field in ordering:
            descending = field.startswith("-")
            name = field.lstrip("-")
            expression = F(name)
            if descending:
                expressions.append(expression.desc(nulls_last=True))
            else:
                expressions.append(expression.asc(nulls_last=True))
        if not any(field.lstrip("-") in ("pk", "id") for field in ordering):
            expressions.append(F("pk").asc())
        return queryset.order_by(*expressions)
