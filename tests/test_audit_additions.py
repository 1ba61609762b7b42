"""Staff reads that reveal participants' data are audited: someone else's file download, the
user list (phone numbers), and searches of what participants wrote (the query, not results)."""

from __future__ import annotations

from typing import Any

from tests.uploads import upload


async def rows(client: Any) -> list[dict[str, Any]]:
    return await client.runtime.store.db.fetch_all(
        dict, "select actor_id, action, target_id, details from audit_log order by seq")


async def test_admin_file_download_user_list_and_transcript_search_each_write_a_row(
        client, make_user, auth_headers):
    ana = await make_user("Ana")
    admin = await make_user("Ada", is_admin=True)
    ana_headers, admin_headers = await auth_headers(ana), await auth_headers(admin)
    uploaded = (await upload(client, ana_headers, "plan.txt", b"Plan de negocio", "text/plain")).json()

    # The owner's own download is not an audit event; an admin's is.
    assert (await client.get(f"/files/{uploaded['id']}/download",
                             headers=ana_headers)).status_code == 200
    assert await rows(client) == []
    assert (await client.get(f"/files/{uploaded['id']}/download",
                             headers=admin_headers)).status_code == 200
    assert (await client.get("/users", headers=admin_headers,
                             params={"search": ana.phone_number})).status_code == 200
    assert (await client.get("/admin/conversations", headers=admin_headers,
                             params={"q": "precios"})).status_code == 200
    assert (await client.get("/admin/conversations", headers=admin_headers)).status_code == 200

    download, listing, search = await rows(client)  # browsing without a query is not a search
    assert (download["actor_id"], download["action"], download["target_id"]) == (
        admin.id, "file.download", uploaded["id"])
    assert download["details"]["user_id"] == str(ana.id)
    assert (listing["action"], listing["details"]["searched"], listing["details"]["shown"]) == (
        "user.list", True, 1)
    assert ana.phone_number not in str(listing) and ana.phone_number[1:] not in str(listing)
    assert (search["action"], search["details"]["q"]) == ("conversation.search", "precios")
