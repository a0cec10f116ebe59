"""Signs requests to the EdgeKV emulator with the official Python EdgeGrid library, through
the .edgerc section the emulator wrote. Prints the statuses as a JSON list."""
import json
import sys

import requests
from akamai.edgegrid import EdgeGridAuth, EdgeRc

rc = EdgeRc(sys.argv[1])
section = sys.argv[2]
base = "http://" + rc.get(section, "host") + "/edgekv/v1"
session = requests.Session()
session.auth = EdgeGridAuth.from_edgerc(rc, section)

statuses = []
statuses.append(session.get(base + "/networks/staging/namespaces", params={"details": "on"}).status_code)
statuses.append(session.put(
    base + "/networks/staging/namespaces/default/groups/py/items/k1",
    data="h\u00e9llo from python".encode("utf-8"),
    headers={"Content-Type": "text/plain; charset=utf-8"},
).status_code)
statuses.append(session.get(base + "/networks/staging/namespaces/default/groups/py/items/k1").status_code)
statuses.append(session.post(base + "/tokens", json={
    "name": "py_token", "allowOnStaging": "true", "allowOnProduction": "false",
    "namespacePermissions": {"default": ["r"]},
}).status_code)
statuses.append(session.get(base + "/tokens", params={"includeExpired": "true"}).status_code)

# Tampered: signed for one target, sent to another.
request = requests.Request("GET", base + "/auth/groups").prepare()
request = session.auth(request)
request.url = base + "/auth/groups/0"
statuses.append(requests.Session().send(request).status_code)
print(json.dumps(statuses))
