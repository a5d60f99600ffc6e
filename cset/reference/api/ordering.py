from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, Model, OrderBy
from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError
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


def _printable(text: str) -> str:
    """Text to quote back in a message: without control characters, at most 40 long."""
    return "".join(character for character in text if character.isprintable())[:40]


class NullsLastOrderingFilter(OrderingFilter):
    """``?ordering=`` with missing values last in both directions, on every database,
    and the primary key as the final tie-breaker so that pages never repeat or skip rows.

    An unknown field is a 400 naming the fields there are (DRF ignores it, and a typo
    then quietly gives the default order). Columns that cannot be NULL are ordered
    plainly, so that PostgreSQL can still use their indexes in both directions.
    """

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        unknown = [term for term in fields if term and term not in valid]
        if unknown:
            offered = self.get_valid_fields(queryset, view, {"request": request})
            raise ValidationError(
                {
                    self.ordering_param: [
                        gettext("Cannot order by %(terms)s. Fields: %(fields)s.")
                        % {
                            "terms": ", ".join(_printable(term) for term in unknown),
                            "fields": ", ".join(name for name, _label in offered),
                        }
                    ]
                }
            )
        return valid

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
