"""The interactive API documentation in real Chromium: it renders under the strict CSP."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


def test_swagger_ui_lists_the_operations_and_tries_one(browser, server):
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    outside = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith((server, "data:")) else None,
    )
    page.goto(f"{server}/api/v1/docs/")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/values/" in paths and "/api/v1/indicators/{key}/" in paths
    # "Try it out" on the levels list: the browser calls the API and shows the answer.
    page.locator("#operations-levels-levels_list .opblock-summary").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    live = page.locator("#operations-levels-levels_list .live-responses-table")
    live.wait_for(timeout=20_000)
    body = live.inner_text()
    assert "baublock" in body
    assert not outside, outside
    assert not [p for p in problems if "Content Security Policy" in p], problems
    context.close()
