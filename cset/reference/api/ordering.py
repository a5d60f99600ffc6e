from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, Model, OrderBy
from django.utils.translation import gettext
from rest_framework.filters import OrderingFilter


def _may_be_null(model: type[Model], path: str) -> bool:
    """Whether the field at ``path`` (``country__name``) can hold NULL; unknown paths may."""
    for step, name in enumerate(path.split("__")):
        try:
            field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        except FieldDoesNotExist:
            return True
        if field.null:
            return True
        if field.is_relation and step < path.count("__"):
            model = field.related_model
    return False


class NullsLastOrderingFilter(OrderingFilter):
    """``?ordering=`` with missing values last in both directions, on every database,
    and the primary key as the final tie-breaker so that pages never repeat or skip rows.

    Unknown fields are ignored, as DRF does, rather than failing the request. Columns
    that cannot be NULL are ordered plainly, so that PostgreSQL can still use their
    indexes in both directions.
    """

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        model = queryset.model
        keys = {"pk", model._meta.pk.name, model._meta.pk.attname}
        expressions = [self._order_by(model, field) for field in ordering]
        if not any(field.lstrip("-") in keys for field in ordering):
            expressions.append(F("pk").asc())
        return queryset.order_by(*expressions)

    def _order_by(self, model: type[Model], field: str) -> OrderBy:
        descending = field.startswith("-")
        name = field.lstrip("-")
        expression = F(name)
        if not _may_be_null(model, name):
            return expression.desc() if descending else expression.asc()
        if descending:
            return expression.desc(nulls_last=True)
        return expression.asc(nulls_last=True)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        fields = ", ".join(getattr(view, "ordering_fields", None) or [])
        default = ",".join(getattr(view, "ordering", None) or [])
        description = gettext(
            "Fields to order by, separated by commas; a leading - reverses a field. "
            "Missing values come last either way, and the id breaks ties. "
            "Fields: %(fields)s. Default: %(default)s."
        ) % {"fields": fields, "default": default}
        for parameter in parameters:
            parameter["description"] = description
        return parameters
