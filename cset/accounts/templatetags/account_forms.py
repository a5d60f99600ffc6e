"""Render form widgets with Bootstrap's classes and their help and error texts linked."""

from django import template
from django.forms import BoundField
from django.forms.widgets import CheckboxInput, Select, SelectMultiple

register = template.Library()


@register.simple_tag
def bootstrap_widget(field: BoundField) -> str:
    """The widget of ``field`` with the class Bootstrap expects and ``aria-describedby``."""
    widget = field.field.widget
    if isinstance(widget, CheckboxInput):
        css_class = "form-check-input"
    elif isinstance(widget, Select | SelectMultiple):
        css_class = "form-select"
    else:
        css_class = "form-control"
    if field.errors:
        css_class += " is-invalid"

    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}-help")
    if field.errors:
        described_by.append(f"{field.auto_id}-errors")

    attrs = {"class": f"{widget.attrs.get('class', '')} {css_class}".strip()}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
        attrs["aria-invalid"] = "true" if field.errors else None
    attrs = {key: value for key, value in attrs.items() if value is not None}
    return field.as_widget(attrs=attrs)
