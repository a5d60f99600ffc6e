"""``python manage.py make_curator EMAIL``: give an existing account the curator role."""

from django.core.management.base import BaseCommand, CommandError

from cset.accounts.services import UnknownEmail, make_curator, user_by_email


class Command(BaseCommand):
    help = (
        "Make the account with this e-mail address (any case) a curator: add it to the "
        "Curators group and let it use the admin. The person signs up first."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("email", help="the e-mail address the person signed up with")

    def handle(self, *args, email: str, **options) -> None:
        try:
            user = user_by_email(email)
        except UnknownEmail as error:
            raise CommandError(
                f"{error} The person must sign up (and verify the address) first."
            ) from error

        if make_curator(user):
            self.stdout.write(self.style.SUCCESS(f"{email} is now a curator."))
        else:
            self.stdout.write(f"{email} was already a curator; nothing changed.")
