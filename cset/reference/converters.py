"""URL converters: slugs are Unicode, and Django's built-in ``slug`` is ASCII only."""


class UnicodeSlugConverter:
    regex = r"[-\w]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
