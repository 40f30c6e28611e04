"""A realistic mix for the load benchmark (benchmarks/serving_bench.py runs it headless, on loopback only).

Visitors (anonymous, 4 in 5): the home page, the libraries' lists with filters and paging, detail pages,
search, the matches API. Members (logged in with a demo account, 1 in 5): the workbench, the inbox, detail
pages and a few writes with the CSRF token (marking a notification read, which commits and redirects).

    .venv/bin/locust -f benchmarks/load/locustfile.py --host http://127.0.0.1:8000 --headless -u 50 -r 10 -t 60s

The users are FastHttpUser (geventhttpclient): locust's documented choice for high request rates, several times
less CPU per request than HttpUser (python-requests), which matters because locust shares the site's two cores.
Cookies (the session) are kept per user, the CSRF token is read from the page's meta tag and sent as a form
field, and every request whose outcome is judged (login, the logged-in pages, the write) uses catch_response.

THINK_MIN / THINK_MAX (seconds, environment) set the pause between a user's requests (default 0.5–1.5 s;
0 and 0 for saturation). MEMBER_PASSWORD / MEMBER_EMAILS override the demo accounts.
"""
import os
import random
import re
import threading

from locust import FastHttpUser, between, constant, task

THINK_MIN = float(os.environ.get("THINK_MIN", "0.5"))
THINK_MAX = float(os.environ.get("THINK_MAX", "1.5"))
WAIT = constant(0) if THINK_MAX <= 0 else between(THINK_MIN, THINK_MAX)
MEMBERS = os.environ.get("MEMBER_EMAILS", "company@demo.jx,ncu@demo.jx,jxust@demo.jx,broker@demo.jx").split(",")
PASSWORD = os.environ.get("MEMBER_PASSWORD", "demo12345")

INDUSTRIES = ["新材料", "有色金属", "电子信息", "生物医药", "新能源", "装备制造", "现代农业"]
CITIES = ["南昌", "赣州", "鹰潭", "九江", "宜春"]
QUERIES = ["稀土", "铜", "锂电池", "永磁", "中药", "智能制造", "新材料 工艺", "拉丝 断线", "光伏", "脐橙 保鲜",
           "芯片", "废水处理", "稀土永磁 电机", "陶瓷", "检测"]
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')

_ids: dict = {}
_ids_lock = threading.Lock()


def ids(client, library: str) -> list[int]:
    """Published record ids of a library, read once per locust process through the public API."""
    with _ids_lock:
        if library not in _ids:
            got = []
            for page in (1, 2, 3):
                resp = client.get(f"/api/v1/{library}?per_page=50&page={page}", name=f"/api/v1/{library} (setup)")
                items = resp.json().get("items", []) if resp.ok else []
                got += [item["id"] for item in items]
                if len(items) < 50:
                    break
            _ids[library] = got or [1]
        return _ids[library]


class Visitor(FastHttpUser):
    weight = 4
    wait_time = WAIT

    @task(3)
    def home(self):
        self.client.get("/", name="/")

    @task(4)
    def list_filtered(self):
        library = random.choice(["achievements", "demands", "services"])
        params = random.choice([{}, {"industry": random.choice(INDUSTRIES)}, {"city": random.choice(CITIES)},
                                {"page": random.choice([1, 2, 3])}, {"sort": "newest"}])
        self.client.get(f"/{library}/", params=params, name=f"/{library}/ (filters)")

    @task(5)
    def detail(self):
        library = random.choice(["achievements", "demands"])
        self.client.get(f"/{library}/{random.choice(ids(self.client, library))}", name=f"/{library}/[id]")

    @task(4)
    def search(self):
        params = {"q": random.choice(QUERIES)}
        if random.random() < 0.3:
            params["industry"] = random.choice(INDUSTRIES)
        self.client.get("/search", params=params, name="/search?q")

    @task(2)
    def matches_api(self):
        library = random.choice(["achievements", "demands"])
        self.client.get(f"/api/v1/{library}/{random.choice(ids(self.client, library))}/matches",
                        name=f"/api/v1/{library}/[id]/matches")


class Member(FastHttpUser):
    weight = 1
    wait_time = WAIT

    def on_start(self):
        page = self.client.get("/login", name="/login")
        token = CSRF.search(page.text or "")
        email = random.choice(MEMBERS)
        with self.client.post("/login", data={"email": email, "password": PASSWORD,
                                              "csrf_token": token.group(1) if token else ""},
                              name="/login (POST)", allow_redirects=False, catch_response=True) as resp:
            if resp.status_code == 302:
                resp.success()
            else:
                resp.failure(f"login as {email} failed: {resp.status_code}")

    def csrf(self, text: str) -> str:
        m = CSRF.search(text)
        return m.group(1) if m else ""

    def member_page(self, path: str):
        """A logged-in page: a redirect (to /login) means the session cookie was lost — counted as a failure."""
        with self.client.get(path, name=path, allow_redirects=False, catch_response=True) as resp:
            if resp.status_code == 200:
                resp.success()
            else:
                resp.failure(f"{path}: {resp.status_code} (not logged in?)")
            return resp

    @task(4)
    def workbench(self):
        self.member_page("/workbench")

    @task(2)
    def inbox(self):
        self.member_page("/notifications")

    @task(3)
    def detail(self):
        library = random.choice(["achievements", "demands"])
        self.client.get(f"/{library}/{random.choice(ids(self.client, library))}", name=f"/{library}/[id]")

    @task(1)
    def mark_read(self):
        """A write: mark one of my notifications read (POST with the CSRF token, commit, redirect)."""
        page = self.member_page("/notifications")
        notes = self.client.get("/api/v1/notifications?per_page=20", name="/api/v1/notifications")
        items = notes.json().get("items", []) if notes.ok else []
        if not items:
            return
        note = random.choice(items)
        with self.client.post(f"/notifications/{note['id']}/read", data={"csrf_token": self.csrf(page.text or "")},
                              name="/notifications/[id]/read (POST)", allow_redirects=False,
                              catch_response=True) as resp:
            if resp.status_code in (302, 303):
                resp.success()
            else:
                resp.failure(f"mark read: {resp.status_code}")
