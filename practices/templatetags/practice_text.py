"""The ``markdown`` filter: a case's text section as sanitised HTML (see practices.markdown)."""

from django import template
from django.utils.safestring import SafeString

from ..markdown import render_markdown

register = template.Library()


@register.filter(is_safe=True)
def markdown(value) -> SafeString | str:
    """``{{ practice.summary|markdown }}``: Markdown rendered and cleaned; empty stays empty."""
    if not value:
        return ""
    return render_markdown(str(value))
