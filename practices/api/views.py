"""API of cases: reading what the caller may see, writing drafts, and the workflow's steps.

Reads start from ``BestPractice.objects.visible_to(user)``: the public sees published
cases only. Writes and steps call ``practices.services``, which check the actor and
the state; the errors they raise become 403 (not allowed for your role), 409 (not in
this state, or changed since you read it) and 400 (invalid text).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response

from cset.reference.api.views import UNICODE_SLUG, DetailSerializerMixin

from .. import rows, services
from ..filters import PracticeFilterSet
from ..models import BestPractice, Impact
from .serializers import (
    PracticeCreateSerializer,
    PracticeDetailSerializer,
    PracticeSerializer,
    PracticeUpdateSerializer,
    TransitionSerializer,
)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The case is not in a state that allows this."
    default_code = "conflict"


@contextmanager
def _service_errors() -> Iterator[None]:
    """Turn the services' refusals into API answers that carry their messages."""
    try:
        yield
    except rows.RowErrors as error:
        # Field paths as the serializers give them: {"impacts": {"1": {"unit": ["…"]}}}.
        raise serializers.ValidationError(error.errors) from error
    except DjangoPermissionDenied as error:
        raise exceptions.PermissionDenied(str(error) or None) from error
    except services.StaleVersion as error:
        conflict = Conflict(str(error))
        # The number stays a number: APIException would turn every value into text.
        conflict.detail = {"detail": conflict.detail, "current_version": error.current_version}
        raise conflict from error
    except services.WorkflowError as error:
        raise Conflict(str(error)) from error
    except DjangoValidationError as error:
        detail = error.message_dict if hasattr(error, "error_dict") else error.messages
        raise serializers.ValidationError(detail) from error


def _rows_of(data: dict) -> dict[str, list]:
    """Take the lists of rows out of a write's data: the case's services take the rest."""
    return {kind: data.pop(kind) for kind in rows.KINDS if kind in data}


_REFUSALS = {
    403: OpenApiResponse(description="Not allowed for your role (or not signed in)."),
    404: OpenApiResponse(description="No case you may see has this slug."),
    409: OpenApiResponse(description="The case's state does not allow this; the body says why."),
}


def _step_action(verb: str) -> Callable:
    """The view of ``POST /practices/<slug>/<verb>/``, calling the verb's service."""
    service = services.SERVICES[verb]

    def take_step(self, request: Request, slug: str | None = None) -> Response:
        practice = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with _service_errors():
            service(practice, actor=request.user, comment=body.validated_data["comment"])
        return self.detail_response(practice.pk)

    take_step.__name__ = take_step.__qualname__ = verb.replace("-", "_")
    take_step = action(detail=True, methods=["post"], url_path=verb, url_name=verb)(take_step)
    return extend_schema(
        summary=f"{verb.replace('-', ' ').capitalize()} a case",
        description=(service.__doc__ or "").strip(),
        request=TransitionSerializer,
        responses={200: PracticeDetailSerializer, **_REFUSALS},
    )(take_step)


class PracticeViewSet(
    DetailSerializerMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Best practices, by slug. For the public only published cases exist here; signed in,
    a submitter also finds their own cases in every state, and curators find all."""

    serializer_class = PracticeSerializer
    detail_serializer_class = PracticeDetailSerializer
    filterset_class = PracticeFilterSet
    permission_classes = [IsAuthenticatedOrReadOnly]
    lookup_field = "slug"
    lookup_value_regex = UNICODE_SLUG
    ordering_fields = ["title", "published_at", "start_year", "end_year", "id"]
    ordering = ["-published_at", "pk"]

    def get_queryset(self):
        # Without a request (schema generation, introspection) it shows what the public sees.
        request = getattr(self, "request", None)
        visible = BestPractice.objects.visible_to(getattr(request, "user", None))
        if self.action == "list":
            return visible.prefetch_related("places", "themes", "organisations")
        if self.action == "retrieve":
            return self._with_details(visible)
        # Writes and steps load the bare case; their answer is read again with details.
        return visible

    @staticmethod
    def _with_details(queryset):
        impacts = Impact.objects.select_related("indicator")
        return queryset.select_related("source").prefetch_related(
            "places",
            "themes",
            "organisations",
            Prefetch("impacts", queryset=impacts),
            "cost_items",
            "financing",
            "progress_updates",
            "links",
            "attachments",
        )

    def get_serializer_class(self):
        if self.action == "create":
            return PracticeCreateSerializer
        if self.action in {"update", "partial_update"}:
            return PracticeUpdateSerializer
        if self.action in {verb.replace("-", "_") for verb in services.STEPS}:
            return TransitionSerializer
        return super().get_serializer_class()

    def detail_response(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        practice = self._with_details(BestPractice.objects.all()).get(pk=pk)
        body = PracticeDetailSerializer(practice, context=self.get_serializer_context()).data
        return Response(body, status=status_code)

    @extend_schema(
        summary="Write a new case",
        description=(
            "Creates a draft owned by the caller (submitters and curators). With a "
            "`submission_key` already used by the caller, answers 200 with that case "
            "(and stores none of the rows sent). `impacts`, `cost_items`, `financing` and "
            "`links` are optional lists of rows; an invalid row answers 400 with its "
            "errors under its position in the list, counted from 0, e.g. "
            '`{"impacts": {"1": {"unit": ["…"]}}}`, '
            "and nothing is stored."
        ),
        request=PracticeCreateSerializer,
        responses={
            201: PracticeDetailSerializer,
            200: PracticeDetailSerializer,
            403: _REFUSALS[403],
            409: OpenApiResponse(description="The submission key belongs to another case."),
        },
    )
    def create(self, request: Request) -> Response:
        with _service_errors():
            services.check_can_write(request.user)
        serializer = PracticeCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        key = data.pop("submission_key", None)
        nested = _rows_of(data)
        with _service_errors(), transaction.atomic():
            practice, created = services.create_practice(
                data, actor=request.user, submission_key=key
            )
            # A repeated request found the case of the first: its rows are stored already.
            if created and nested:
                rows.replace_rows(practice, nested, actor=request.user)
        return self.detail_response(
            practice.pk, status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        summary="Change a case",
        description=(
            "A submitter changes their own case while it is a draft or changes are "
            "requested; curators in any state. `version` is the one you read: when the "
            "case was saved since, nothing is saved and the answer is 409. A list of "
            "`impacts`, `cost_items`, `financing` or `links` replaces all the case's rows "
            "of that kind; a kind left out keeps its rows."
        ),
        request=PracticeUpdateSerializer,
        responses={200: PracticeDetailSerializer, 400: OpenApiResponse(), **_REFUSALS},
    )
    def update(self, request: Request, slug: str | None = None, partial: bool = False):
        practice = self.get_object()
        with _service_errors():
            services.check_can_edit(practice, request.user)
        serializer = PracticeUpdateSerializer(practice, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version")
        nested = _rows_of(data)
        with _service_errors(), transaction.atomic():
            saved = services.save_practice(
                practice, data, actor=request.user, expected_version=version
            )
            if nested:
                rows.replace_rows(saved, nested, actor=request.user)
        return self.detail_response(practice.pk)

    @extend_schema(
        summary="Change some fields of a case",
        request=PracticeUpdateSerializer,
        responses={200: PracticeDetailSerializer, 400: OpenApiResponse(), **_REFUSALS},
    )
    def partial_update(self, request: Request, slug: str | None = None) -> Response:
        return self.update(request, slug=slug, partial=True)

    submit = _step_action("submit")
    start_review = _step_action("start-review")
    request_changes = _step_action("request-changes")
    resubmit = _step_action("resubmit")
    publish = _step_action("publish")
    reject = _step_action("reject")
    archive = _step_action("archive")
    unpublish = _step_action("unpublish")
