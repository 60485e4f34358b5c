"""Server-rendered analytics pages under /analytics/ (session login).

Sync views behind the full middleware stack. They parse the query string with the API's
serializers (so the pages and the API accept the same `from`/`to`/`user`/filters and agree on
the numbers), call the same selectors, and draw charts as inline SVG (analytics/charts.py).
"""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from analytics import charts, selectors
from analytics.forms import GatewayKeyForm, ProviderKeyForm
from analytics.serializers import PeriodQuerySerializer, RequestLogQuerySerializer
from keys import selectors as key_selectors
from keys import services as key_services

LOG_PAGE_SIZE = 50
MAX_USERS_IN_SELECTOR = 500


def _parse(serializer_class, request):
    """(validated params, errors): errors is a list of messages for the page's banner."""
    data = {key: value for key, value in request.GET.items() if value != ""}
    serializer = serializer_class(data=data)
    if serializer.is_valid():
        return serializer.validated_data, []
    messages = [f"{field}: {' '.join(str(m) for m in msgs)}" for field, msgs in serializer.errors.items()]
    return None, messages


def _scope(params: dict) -> dict:
    return {key: params[key] for key in ("period_from", "period_to", "for_user_id")}


def _base_context(request, params: dict | None) -> dict:
    from accounts.models import User

    context = {"query": request.GET.copy(), "params": params}
    if params:
        context["period_first_day"] = params["period_from"].date().isoformat()
        context["period_last_day"] = selectors.period_days(params["period_from"], params["period_to"])[-1]
    if request.user.is_staff:
        context["all_users"] = User.objects.order_by("email").only("pk", "email")[:MAX_USERS_IN_SELECTOR]
    return context


def _invalid(request, template: str, errors: list[str]):
    return render(request, template, {**_base_context(request, None), "errors": errors}, status=400)


def _usd(value: float) -> str:
    if value >= 100 or value == 0:
        return f"${value:,.0f}"
    return f"${value:,.2f}" if value >= 0.1 else f"${value:.4g}"


def _ms(value: float) -> str:
    return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.0f} ms"


def _count(value: float) -> str:
    return f"{value:,.0f}"


@require_GET
@login_required
def overview_page(request):
    params, errors = _parse(PeriodQuerySerializer, request)
    if errors:
        return _invalid(request, "analytics/overview.html", errors)
    board = selectors.dashboard(user=request.user, **_scope(params))
    totals, cost, latency, distribution = (
        board["overview"], board["cost_per_day"], board["latency_per_day"], board["distribution"]
    )
    model_rows = [(row["model"] or "(no model)", row["requests"]) for row in distribution["models"]]
    model_colours = [charts.colour(row["provider"], 8) for row in distribution["models"]]
    context = {
        **_base_context(request, params),
        "totals": totals,
        "cost_chart": charts.stacked_bars(cost["days"], cost["series"], fmt=_usd, label="Cost per day by provider"),
        "cost_legend": charts.legend(list(cost["series"]), providers=True),
        "models_chart": charts.horizontal_bars(model_rows[:12], fmt=_count, label="Requests by model",
                                               colours=model_colours[:12]),
        "complexity_chart": charts.donut(
            [(row["complexity"] or "(none)", row["requests"]) for row in distribution["complexities"]],
            label="Complexity mix",
        ),
        "latency_chart": charts.lines(latency["days"], {"p50": latency["p50"], "p95": latency["p95"]}, fmt=_ms,
                                      label="Latency percentiles per day"),
        "latency_legend": charts.legend(["p50", "p95"]),
    }
    return render(request, "analytics/overview.html", context)


@require_GET
@login_required
def request_log_page(request):
    params, errors = _parse(RequestLogQuerySerializer, request)
    if errors:
        return _invalid(request, "analytics/requests.html", errors)
    filters = {name: params.get(name) for name in RequestLogQuerySerializer.FILTERS}
    records = selectors.request_log(user=request.user, **_scope(params), **filters)
    paginator = Paginator(records, params.get("page_size") or LOG_PAGE_SIZE)
    try:
        page = paginator.page(params.get("page") or 1)
    except EmptyPage:
        raise Http404("No such page.") from None
    pager_query = request.GET.copy()
    pager_query.pop("page", None)
    context = {
        **_base_context(request, params),
        "page": page,
        "pager_query": pager_query.urlencode(),
        "choices": selectors.filter_choices(user=request.user, for_user_id=params["for_user_id"]),
        "filters": filters,
        "complexities": ("simple", "moderate", "complex", "expert"),
        "cache_outcomes": ("hit", "semantic-hit", "miss", "bypass"),
        "statuses": ("ok", "error", "2xx", "4xx", "5xx", "429"),
    }
    return render(request, "analytics/requests.html", context)


@require_GET
@login_required
def request_detail_page(request, request_id: str):
    record = selectors.request_detail(user=request.user, request_id=request_id)
    if record is None:
        raise Http404("No such request.")
    return render(request, "analytics/request_detail.html", {"record": record})


def _keys_page(request, *, status: int = 200, **extra):
    context = {
        "gateway_keys": key_selectors.gateway_keys_for_user(request.user),
        "provider_keys": key_selectors.provider_keys_for_user(request.user),
        "gateway_form": GatewayKeyForm(),
        "provider_form": ProviderKeyForm(),
        **extra,
    }
    return render(request, "analytics/keys.html", context, status=status)


@require_GET
@login_required
def keys_page(request):
    return _keys_page(request)


@require_POST
@login_required
def gateway_key_create_page(request):
    form = GatewayKeyForm(request.POST)
    if not form.is_valid():
        return _keys_page(request, status=400, gateway_form=form)
    key, raw_key = key_services.gateway_key_create(
        user=request.user, name=form.cleaned_data["name"], rate_limit_rpm=form.cleaned_data["rate_limit_rpm"]
    )
    # Rendered, not redirected: the raw key is never stored, so this response is its only showing.
    response = _keys_page(request, new_key=key, raw_key=raw_key)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def gateway_key_revoke_page(request, key_id: int):
    key = key_selectors.gateway_key_for_user(user=request.user, key_id=key_id)
    if key is None:
        raise Http404("No such key.")
    key_services.gateway_key_revoke(key=key)
    return redirect("analytics:keys")


@require_POST
@login_required
def provider_key_create_page(request):
    form = ProviderKeyForm(request.POST)
    if form.is_valid():
        try:
            key_services.provider_key_create(user=request.user, **form.cleaned_data)
            return redirect("analytics:keys")
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
    return _keys_page(request, status=400, provider_form=form)


@require_POST
@login_required
def provider_key_delete_page(request, key_id: int):
    key = key_selectors.provider_key_for_user(user=request.user, key_id=key_id)
    if key is None:
        raise Http404("No such key.")
    key_services.provider_key_delete(key=key)
    return redirect("analytics:keys")
