"""The public catalog API as an anonymous shopper sees it."""

import pytest

from commerce_dash.models.catalog import Course
from commerce_dash.services.catalog import pricing, programs
from commerce_dash.services.platform import org


@pytest.fixture
def priced_catalog(session, super_admin, engineering_with_subdepartment):
    """Four priced courses (one in a subdepartment), a priced program with savings, an
    unpriced course and program, a priced course since withdrawn, and a monthly ENG plan."""
    depts = engineering_with_subdepartment
    ids = {}

    def course(code, title, dept, category, description="", modules=()):
        ids[code] = org.create_course(
            session=session,
            actor=super_admin,
            code=code,
            title=title,
            department_id=depts[dept],
            category=category,
            description=description,
            published=True,
            estimated_minutes=60,
            modules=[org.ModuleSpec(m, estimated_minutes=30) for m in modules],
        ).id

    def price(item_id, amount, item_type="course", **kw):
        pricing.create_price(
            session=session,
            actor=super_admin,
            item_type=item_type,
            item_id=item_id,
            price_type=kw.pop("price_type", "one_time"),
            amount=amount,
            **kw,
        )

    course("ENG-101", "Python Basics", "ENG", "programming", modules=("Setup", "Syntax"))
    course("ENG-201", "Web APIs", "ENG", "programming")
    course("DAT-101", "Data Analysis", "ENG-DATA", "data", description="Tables with pandas")
    course("BUS-101", "Accounting Fundamentals", "BUS", "finance")
    course("ENG-301", "Unpriced Systems", "ENG", "programming")
    course("ENG-150", "Withdrawn Course", "ENG", "programming")
    for code, amount in [
        ("ENG-101", 4900),
        ("ENG-201", 9900),
        ("DAT-101", 7900),
        ("BUS-101", 5900),
        ("ENG-150", 1000),
    ]:
        price(ids[code], amount)
    price(ids["ENG-101"], 4500, currency="EUR")
    for code, title, courses in [
        ("ENG-PATH", "Engineering Path", ["ENG-101", "ENG-201"]),
        ("ENG-MIX", "Unpriced Mix", ["ENG-101", "DAT-101"]),
    ]:
        ids[code] = programs.create_program(
            session=session,
            actor=super_admin,
            code=code,
            title=title,
            department_id=depts["ENG"],
            course_ids=[ids[c] for c in courses],
            published=True,
        ).id
    price(ids["ENG-PATH"], 11900, item_type="program")
    price(
        depts["ENG"],
        1900,
        item_type="subscription",
        price_type="subscription",
        interval="monthly",
        trial_days=7,
    )
    withdrawn = session.get(Course, ids["ENG-150"])
    withdrawn.published = False
    session.add(withdrawn)
    session.commit()
    return {**ids, **depts}


def _codes(response):
    assert response.status_code == 200, response.json()
    return [item["code"] for item in response.json()["items"]]


def test_the_course_list_shows_only_published_priced_courses(client, priced_catalog):
    # when an anonymous shopper opens the catalog
    response = client.get("/api/v2/catalog/courses")
    # then the four priced courses are listed by title, nothing unpriced or withdrawn
    assert _codes(response) == ["BUS-101", "DAT-101", "ENG-101", "ENG-201"]
    body = response.json()
    assert (body["total"], body["page"], body["pages"]) == (4, 1, 1)
    python = body["items"][2]
    assert python["kind"] == "course"
    assert python["id"] == priced_catalog["ENG-101"]
    assert python["department"] == "Department ENG"
    assert python["category"] == "programming"
    assert python["price"] == {"amount": 4900, "currency": "USD", "label": "$49.00"}
    assert python["estimated_minutes"] == 60


def test_the_course_list_filters_by_search_department_and_category(client, priced_catalog):
    # given the catalog
    get = lambda **params: _codes(client.get("/api/v2/catalog/courses", params=params))  # noqa: E731
    # then search looks in descriptions too, a department includes its subdepartments,
    # and a category narrows to its courses
    assert get(q="PANDAS") == ["DAT-101"]
    assert get(department_id=priced_catalog["ENG"]) == ["DAT-101", "ENG-101", "ENG-201"]
    assert get(department_id=priced_catalog["ENG-DATA"]) == ["DAT-101"]
    assert get(category="programming") == ["ENG-101", "ENG-201"]
    assert get(q="basics", department_id=priced_catalog["BUS"]) == []


def test_the_course_list_sorts_by_price_both_ways(client, priced_catalog):
    # when sorting by price
    cheapest = client.get("/api/v2/catalog/courses", params={"sort": "price_asc"}).json()
    dearest = client.get("/api/v2/catalog/courses", params={"sort": "price_desc"}).json()
    # then amounts rise, then fall
    assert [i["price"]["amount"] for i in cheapest["items"]] == [4900, 5900, 7900, 9900]
    assert [i["price"]["amount"] for i in dearest["items"]] == [9900, 7900, 5900, 4900]


def test_the_course_list_pages_with_totals(client, priced_catalog):
    # when asking for the second page of three
    response = client.get("/api/v2/catalog/courses", params={"page": 2, "page_size": 3})
    # then the last course is on it and the totals cover every page
    assert _codes(response) == ["ENG-201"]
    body = response.json()
    assert (body["total"], body["page"], body["page_size"], body["pages"]) == (4, 2, 3, 2)


def test_the_course_list_shows_prices_of_the_chosen_currency_only(client, priced_catalog):
    # when asking for euro prices
    response = client.get("/api/v2/catalog/courses", params={"currency": "eur"})
    # then only the course priced in euro appears, in euro
    assert _codes(response) == ["ENG-101"]
    assert response.json()["items"][0]["price"]["amount"] == 4500
    assert response.json()["items"][0]["price"]["currency"] == "EUR"


def test_the_program_list_shows_only_priced_programs(client, priced_catalog):
    # when listing programs
    response = client.get("/api/v2/catalog/programs")
    # then the unpriced program is absent and the bundle carries its price and duration
    assert _codes(response) == ["ENG-PATH"]
    item = response.json()["items"][0]
    assert item["kind"] == "program"
    assert item["price"] == {"amount": 11900, "currency": "USD", "label": "$119.00"}
    assert item["estimated_minutes"] == 120


def test_course_detail_by_code_or_id(client, priced_catalog):
    # when opening a course by its code (any case) and by its id
    by_code = client.get("/api/v2/catalog/courses/eng-101")
    by_id = client.get(f"/api/v2/catalog/courses/{priced_catalog['ENG-101']}")
    # then both show the same course with modules in order, price and programs holding it
    assert by_code.status_code == 200
    assert by_id.json() == by_code.json()
    body = by_code.json()
    assert body["code"] == "ENG-101"
    assert [m["title"] for m in body["modules"]] == ["Setup", "Syntax"]
    assert [m["position"] for m in body["modules"]] == [1, 2]
    assert body["price"]["amount"] == 4900
    assert body["programs"] == [
        {"code": "ENG-PATH", "title": "Engineering Path"},
        {"code": "ENG-MIX", "title": "Unpriced Mix"},
    ]


def test_program_detail_shows_the_bundle_savings(client, priced_catalog):
    # when opening the program
    response = client.get("/api/v2/catalog/programs/ENG-PATH")
    # then its courses, their total, the bundle price and the saving are in minor units
    body = response.json()
    assert response.status_code == 200
    assert [(c["code"], c["price"]["amount"]) for c in body["courses"]] == [
        ("ENG-101", 4900),
        ("ENG-201", 9900),
    ]
    assert body["courses_total"]["amount"] == 14800
    assert body["price"]["amount"] == 11900
    assert body["savings"] == {"amount": 2900, "currency": "USD", "label": "$29.00"}
    assert body["savings_percent"] == 19


def test_department_detail_includes_subdepartment_courses_and_plans(client, priced_catalog):
    # when opening the ENG department
    response = client.get("/api/v2/catalog/departments/ENG")
    # then its subdepartment's course is listed, and its monthly plan with the trial
    body = response.json()
    assert response.status_code == 200
    assert [c["code"] for c in body["courses"]] == ["DAT-101", "ENG-101", "ENG-201"]
    assert body["subdepartments"] == [{"code": "ENG-DATA", "name": "Department ENG-DATA"}]
    assert body["parent"] is None
    assert body["plans"] == [
        {
            "interval": "monthly",
            "trial_days": 7,
            "price": {"amount": 1900, "currency": "USD", "label": "$19.00"},
        }
    ]
    child = client.get(f"/api/v2/catalog/departments/{priced_catalog['ENG-DATA']}").json()
    assert child["parent"] == {"code": "ENG", "name": "Department ENG"}


def test_unknown_and_withdrawn_items_answer_a_json_404(client, priced_catalog):
    # when asking for things that do not exist or are no longer published
    cases = [
        ("/api/v2/catalog/courses/NOPE-1", "course_not_found"),
        ("/api/v2/catalog/courses/ENG-150", "course_not_found"),
        (f"/api/v2/catalog/courses/{priced_catalog['ENG-150']}", "course_not_found"),
        ("/api/v2/catalog/programs/NOPE", "program_not_found"),
        ("/api/v2/catalog/departments/NOPE", "department_not_found"),
        ("/api/v2/catalog/courses/99999999999999999999", "course_not_found"),
    ]
    for url, code in cases:
        response = client.get(url)
        # then each is a 404 with a code and message, never naming a withdrawn course
        assert (response.status_code, response.json()["code"]) == (404, code), url
        assert response.json()["message"]
    withdrawn = client.get(f"/api/v2/catalog/courses/{priced_catalog['ENG-150']}").json()
    assert "ENG-150" not in withdrawn["message"]


def test_bad_listing_parameters_answer_a_json_422(client, priced_catalog):
    # when the parameters are out of range or unknown
    cases = [
        ({"sort": "cheapest"}, "invalid_sort"),
        ({"page": 0}, "invalid_request"),
        ({"page_size": 101}, "invalid_request"),
        ({"page_size": 0}, "invalid_request"),
        ({"department_id": "eng"}, "invalid_request"),
        ({"currency": "ABC"}, "invalid_currency"),
    ]
    for params, code in cases:
        response = client.get("/api/v2/catalog/courses", params=params)
        # then each is a 422 with a code and a message
        assert (response.status_code, response.json()["code"]) == (422, code), params
        assert response.json()["message"]
    assert client.get("/api/v2/catalog/programs", params={"sort": "x"}).status_code == 422
