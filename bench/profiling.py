"""Profiles of product paths (pyinstrument when installed, else cProfile): where the time of a request goes.

`profile(fn, repeat)` calls `fn()` `repeat` times under the profiler and returns a short text report plus the
few functions of the product itself that took the most time (cumulative), for the results and the docs.
"""
import cProfile
import io
import pstats
import time

PRODUCT_PACKAGES = ("core/", "tenants/", "hierarchy/", "content/", "inbox/", "metrics/", "zalo/")
LIBRARIES = ("sqlalchemy/", "psycopg/", "flask/", "werkzeug/", "marshmallow/", "flask_limiter/", "limits/",
             "cryptography/", "redis/", "rq/", "jinja2/", "xlsxwriter/", "csv")


def profile(fn, repeat=1, label=""):
    started = time.perf_counter()
    text = _pyinstrument(fn, repeat)
    stats_text, hot = _cprofile(fn, repeat)
    return {"label": label, "calls": repeat, "seconds": round(time.perf_counter() - started, 2),
            "tree": text or stats_text, "hot": hot}


def _pyinstrument(fn, repeat):
    try:
        from pyinstrument import Profiler
    except ImportError:
        return None
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(repeat):
        fn()
    profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join(lines[:70])


def _cprofile(fn, repeat):
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        fn()
    profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("cumulative").print_stats(25)
    hot = []
    total = max(stats.total_tt, 1e-9)
    for (filename, line, name), (_cc, _nc, tottime, cumtime, _callers) in stats.stats.items():
        where = _short(filename)
        if where is None:
            continue
        hot.append({"function": f"{where}:{line}({name})", "cumulative_s": round(cumtime, 4),
                    "own_s": round(tottime, 4), "share": round(cumtime / total, 3)})
    hot.sort(key=lambda item: -item["cumulative_s"])
    return stream.getvalue(), _distinct(hot)[:12]


def _short(filename):
    for marker in PRODUCT_PACKAGES:
        index = filename.rfind("/" + marker)
        if index >= 0 and "site-packages" not in filename:
            return filename[index + 1:]
    return None


def _distinct(items):
    """Drop wrappers that only pass the whole time through (a caller with the same cumulative time)."""
    out = []
    for item in items:
        if out and abs(out[-1]["cumulative_s"] - item["cumulative_s"]) < 1e-4:
            continue
        out.append(item)
    return out


def library_split(fn, repeat=1):
    """Share of own time by layer (product, SQLAlchemy, psycopg/network wait, Flask/Werkzeug, other)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        fn()
    profiler.disable()
    stats = pstats.Stats(profiler)
    layers = {}
    for (filename, _line, _name), (_cc, _nc, tottime, _cum, _callers) in stats.stats.items():
        layers[_layer(filename)] = layers.get(_layer(filename), 0.0) + tottime
    total = sum(layers.values()) or 1.0
    return {layer: round(value / total, 3) for layer, value in sorted(layers.items(), key=lambda kv: -kv[1])}


def _layer(filename):
    if _short(filename):
        return "product"
    for library in LIBRARIES:
        if "/" + library in filename:
            return library.rstrip("/")
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins (incl. socket waits)"
    return "other"
