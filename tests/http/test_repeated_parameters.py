"""Issue 21 (second fresh probe), over a real socket: a parameter that takes one value, given twice,
is refused with a 422 naming it; before, the last value was taken silently. Parameters that take
a list (`measure` on /v1/outcomes, `disease` on /v1/studies) still take every repeat."""

import httpx
import pytest

REPEATED_SCALARS = {
    "/v1/studies?limit=5&limit=6": "limit",
    "/v1/outcomes?offset=0&offset=1": "offset",
    "/v1/claims/check?measure=cr&measure=os&value=80&unit=percent": "measure",
    "/v1/comparison?measure=cr&measure=os": "measure",
}


@pytest.mark.parametrize("url", sorted(REPEATED_SCALARS))
def test_a_scalar_parameter_given_twice_is_refused_naming_it(http: httpx.Client, url: str) -> None:
    response = http.get(url)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    name = REPEATED_SCALARS[url]
    assert {"location": f"query.{name}", "message": "given 2 times; it takes one value"} in response.json()["errors"]


def test_the_same_value_twice_is_refused_too(http: httpx.Client) -> None:
    assert http.get("/v1/studies?limit=5&limit=5").status_code == 422


@pytest.mark.parametrize(
    ("url", "field", "values"),
    [
        ("/v1/outcomes?measure=cr&measure=os&limit=100", "measure", {"cr", "os"}),
        (
            "/v1/studies?design=single_arm_trial&design=case_report&limit=100",
            "design",
            {"single_arm_trial", "case_report"},
        ),
    ],
)
def test_list_parameters_still_take_every_repeat(http: httpx.Client, url: str, field: str, values: set[str]) -> None:
    response = http.get(url)
    assert response.status_code == 200, response.text
    found = {item[field] for item in response.json()["items"]}
    assert found == values, found
