"""The rate limiter's Redis storage: a hit also reads what the response headers need.

Every limited response carries X-RateLimit-Limit/-Remaining/-Reset and Retry-After. With limits' own Redis
storage that costs three round trips per limit and request: the hit (INCRBY and EXPIRE in a script), then a
GET and a TTL for the headers. Here the hit's script returns the count and the TTL together, and they are kept
for the rest of the request, so the headers cost no round trip. Keys, windows and answers are limits' own
(fixed window); anything not hit in this request is read from Redis as before.
"""
import time

from flask import g, has_app_context
from limits.storage import RedisStorage

SCHEME_PREFIX = "ketnoi+"
STATE = "_ratelimit_hits"  # in `g`; cleared at the start of every request (core.REQUEST_STATE)

INCR_EXPIRE_TTL = """
local amount = tonumber(ARGV[2])
local current = redis.call("incrby", KEYS[1], amount)
if current == amount then
    redis.call("expire", KEYS[1], ARGV[1])
end
return {current, redis.call("ttl", KEYS[1])}
"""


def storage_uri(configured):
    """The configured storage URI, with this storage in place of limits' own for a Redis URL."""
    if configured.startswith(("redis://", "rediss://")):
        return SCHEME_PREFIX + configured
    return configured


class HitReadingRedisStorage(RedisStorage):
    STORAGE_SCHEME = [SCHEME_PREFIX + "redis", SCHEME_PREFIX + "rediss"]

    def __init__(self, uri, **options):
        super().__init__(uri.removeprefix(SCHEME_PREFIX), **options)

    def initialize_storage(self, uri):
        super().initialize_storage(uri)
        self.lua_incr_expire_ttl = self.get_connection().register_script(INCR_EXPIRE_TTL)

    def incr(self, key, expiry, amount=1):
        current, ttl = self.lua_incr_expire_ttl([self.prefixed_key(key)], [expiry, amount])
        _hits()[key] = (int(current), max(int(ttl), 0) + time.time())
        return int(current)

    def get(self, key):
        hit = _hits().get(key)
        return hit[0] if hit else super().get(key)

    def get_expiry(self, key):
        hit = _hits().get(key)
        return hit[1] if hit else super().get_expiry(key)

    def clear(self, key):
        _hits().pop(key, None)
        super().clear(key)

    def reset(self):
        _hits().clear()
        return super().reset()


def _hits():
    """This request's hits (outside an app context, a throwaway dict: nothing is remembered)."""
    return g.setdefault(STATE, {}) if has_app_context() else {}
