"""Part (g), `--app URL`: a running app loaded through its page and its API, as its users reach it.

The page is driven through its own Gradio endpoints (`/compare`, `/chat`) with
gradio_client, the API through HTTP; the soak (`soak.py`) sends the same calls for a
fixed time. Nothing here imports torch or the engine: the app computes in its own process.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time

ONE_FIELD = ["glue_sst2", "conllpp", "viggo", "gsm8k", "legal"]  # tasks with one input field
TIMEOUT_S = 120.0


def api_key() -> str:
    return os.environ.get("LORA_LAND_API_KEY", "-")


def page_compare(page, adapter: str, text: str, new_tokens: int) -> tuple[str, int]:
    """Run on the page's Compare tab: (the note the page shows, the largest batch the adapter's answer shared).

    The note is empty for a complete run and names how the run ended otherwise.
    """
    out = page.submit(adapter, text, "", "", new_tokens, 0, 1, api_name="/compare").result(timeout=TIMEOUT_S)
    found = re.search(r"batch of (\d+)", out[1] or "")
    return out[-1] or "", int(found.group(1)) if found else 0


def page_chat(page, adapter: str, message: str, new_tokens: int, with_base: bool) -> str:
    """One turn of a new conversation on the page's Chat tab: the note the page shows (empty when complete)."""
    out = page.submit(adapter, message, with_base, new_tokens, 0, api_name="/chat").result(timeout=TIMEOUT_S)
    return out[-1] or ""


def api_call(http, route: str, body: dict) -> str:
    """POST one request to /v1/<route> and read its whole answer; streamed when body["stream"].

    Returns the answer's id. Raises httpx.HTTPStatusError for an error status and
    RuntimeError for a stream that carries an error event or ends without [DONE].
    """
    if not body.get("stream"):
        r = http.post(f"/v1/{route}", json=body)
        r.raise_for_status()
        return r.json()["id"]
    answer_id, done = None, False
    with http.stream("POST", f"/v1/{route}", json=body) as r:
        if r.is_error:
            r.read()
            r.raise_for_status()
        for line in r.iter_lines():
            if not line.startswith("data: "):
                continue
            if line == "data: [DONE]":
                done = True
                break
            event = json.loads(line[len("data: "):])
            if "error" in event:
                raise RuntimeError(f"stream error: {event['error'].get('code') or event['error'].get('type')}")
            answer_id = answer_id or event.get("id")
    if not done:
        raise RuntimeError("stream ended without [DONE]")
    return answer_id


def app_section(url: str, users: int, new_tokens: int = 24) -> dict:
    """(g) The running app: `users` people press Run on the page at once, then one after another.

    Each page run is a compare (the adapter's row and the base's); the page reports the
    largest batch each answer shared. The same for API clients through the openai package.
    """
    import openai
    from gradio_client import Client

    page = Client(url, verbose=False)
    api = openai.OpenAI(base_url=f"{url}/v1", api_key=api_key(), max_retries=0)

    def page_run(i: int) -> int:
        return page_compare(page, ONE_FIELD[i % len(ONE_FIELD)], f"request {i}: a wonderful film", new_tokens)[1]

    def api_run(i: int) -> int:
        api.completions.create(model=ONE_FIELD[i % len(ONE_FIELD)], prompt=f"request {i}: a wonderful film",
                               max_tokens=new_tokens, extra_body={"ignore_eos": True})
        return 0

    def together(fn) -> tuple[float, list[int]]:
        results: list[int] = [0] * users
        gate = threading.Barrier(users)

        def one(i):
            gate.wait()
            results[i] = fn(i)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(users)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - start, results

    def in_turn(fn) -> tuple[float, list[int]]:
        start = time.perf_counter()
        results = [fn(i) for i in range(users)]
        return time.perf_counter() - start, results

    page_run(0), api_run(0)  # warm: adapters into slots, the page's first event
    out = {"url": url, "users": users, "new_tokens": new_tokens}
    for name, fn in (("page", page_run), ("api", api_run)):
        wall_in_turn, seq_batches = in_turn(fn)
        wall_together, batches = together(fn)
        out[name] = {"one_after_another_s": wall_in_turn, "all_at_once_s": wall_together,
                     "speedup": wall_in_turn / wall_together}
        if name == "page":
            out[name].update({"batch_one_after_another_max": max(seq_batches), "batch_all_at_once_max": max(batches),
                              "batch_all_at_once_mean": sum(batches) / len(batches)})
    return out


def print_app(report: dict) -> None:
    print(f"\n(g) the app at {report['url']}: {report['users']} users, {report['new_tokens']} new tokens each")
    for name in ("page", "api"):
        r = report[name]
        extra = ""
        if name == "page":
            extra = (f"; batch (rows) in turn max {r['batch_one_after_another_max']}, at once max "
                     f"{r['batch_all_at_once_max']} mean {r['batch_all_at_once_mean']:.1f}")
        print(f"{name:<5} one after another {r['one_after_another_s']:.2f}s, all at once {r['all_at_once_s']:.2f}s "
              f"= {r['speedup']:.2f}x{extra}")

