"""The analytics API: GET /api/analytics/{overview,cost-breakdown,model-distribution,requests}.

Each view parses its query with a serializer (bad values: 400), calls one selector scoped to
the caller, and answers. Staff may pass `user=<id>`; anyone else asking for another user gets 403.
"""
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors
from analytics.models import UsageRecord
from analytics.serializers import (
    CostBreakdownQuerySerializer,
    CostBreakdownSerializer,
    ModelDistributionSerializer,
    OverviewSerializer,
    PeriodQuerySerializer,
    RequestLogQuerySerializer,
    UsageRecordSerializer,
)

PERIOD_PARAMETERS = [
    OpenApiParameter("from", str, description="First day (YYYY-MM-DD, UTC) or an ISO datetime. Default: 30 days ago."),
    OpenApiParameter("to", str, description="Last day, included (YYYY-MM-DD, UTC) or an ISO datetime. Default: today."),
    OpenApiParameter("user", {"type": "integer", "minimum": 1}, description="Staff only: restrict to one user's usage."),
]


ERRORS = {
    400: OpenApiResponse(description="A query parameter is invalid (field errors)"),
    401: OpenApiResponse(description="Missing, invalid or expired access token"),
    403: OpenApiResponse(description="`user` given by someone who is not staff"),
}


def _responses(ok) -> dict:
    return {200: ok, **ERRORS}


def _parse(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _period(params: dict) -> dict:
    return {"start": params["period_from"], "end": params["period_to"]}


def _scope(params: dict) -> dict:
    return {key: params[key] for key in ("period_from", "period_to", "for_user_id")}


class OverviewView(APIView):
    @extend_schema(parameters=PERIOD_PARAMETERS, responses=_responses(OverviewSerializer), summary="Totals for a period")
    def get(self, request):
        params = _parse(PeriodQuerySerializer, request)
        totals = selectors.overview(user=request.user, **_scope(params))
        return Response(OverviewSerializer({"period": _period(params), **totals}).data)


class CostBreakdownView(APIView):
    @extend_schema(
        parameters=[*PERIOD_PARAMETERS, OpenApiParameter("group_by", str, enum=selectors.GROUPS)],
        responses=_responses(CostBreakdownSerializer),
        summary="Cost, requests and tokens grouped by model, provider, day or key",
    )
    def get(self, request):
        params = _parse(CostBreakdownQuerySerializer, request)
        rows = selectors.cost_breakdown(user=request.user, group_by=params["group_by"], **_scope(params))
        payload = {"period": _period(params), "group_by": params["group_by"], "rows": rows}
        return Response(CostBreakdownSerializer(payload).data)


class ModelDistributionView(APIView):
    @extend_schema(parameters=PERIOD_PARAMETERS, responses=_responses(ModelDistributionSerializer),
                   summary="Requests per model, complexity and provider, with shares")
    def get(self, request):
        params = _parse(PeriodQuerySerializer, request)
        distribution = selectors.model_distribution(user=request.user, **_scope(params))
        return Response(ModelDistributionSerializer({"period": _period(params), **distribution}).data)


class RequestLogPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class RequestLogView(ListAPIView):
    serializer_class = UsageRecordSerializer
    pagination_class = RequestLogPagination
    queryset = UsageRecord.objects.none()  # the schema's model hint; get_queryset scopes the real one

    @extend_schema(
        parameters=[
            *PERIOD_PARAMETERS,
            OpenApiParameter("model", str, description="The model that answered."),
            OpenApiParameter("status", str, description="A code (429), a class (4xx), `ok` or `error`."),
            OpenApiParameter("key", {"type": "integer", "minimum": 1}, description="A gateway key id."),
            OpenApiParameter("complexity", str, enum=["simple", "moderate", "complex", "expert"]),
            OpenApiParameter("cache", str, enum=["hit", "semantic-hit", "miss", "bypass"]),
            OpenApiParameter("page_size", {"type": "integer", "minimum": 1, "maximum": 200},
                             description="At most 200; default 50."),
        ],
        responses={**_responses(UsageRecordSerializer(many=True)), 404: OpenApiResponse(description="A page past the last")},
        summary="The request log, newest first",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = _parse(RequestLogQuerySerializer, self.request)
        filters = {name: params.get(name) for name in RequestLogQuerySerializer.FILTERS}
        return selectors.request_log(user=self.request.user, **_scope(params), **filters)
