"""
Django's Redis cache, with one ``redis.Redis`` client per connection pool instead of one per call.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache operation, and
redis-py's constructor fills a dictionary of about 170 response callbacks each time: on a public
page, whose state and fragments take two to four cache operations, that was more Python than the
round trips themselves (docs/scale.md). A ``redis.Redis`` is only a front to its pool, safe to share
between threads, and its pool starts afresh in a forked child; so each pool's client is made once.
Everything else (pools, serialisation, options) is Django's.

``cache_values`` is the newsroom's one fast read of several keys: on Redis, one ``MGET`` on a
connection of its own, beside redis-py's client (the page cache's hit, the public state, a detail
page's kept parts).
"""
import os

import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient


#: Per cache client: (the process id, a Redis connection of this process's own). Django's cache
#: handler gives each thread its own cache client, so each thread of a threaded server (runserver,
#: gthread) has its own connection too: never one reply read by two requests.
_redis = {}
#: The public state as last read, with the bytes it was read from: the same bytes are the same state,
#: and unpickling it (a few dozen datetimes and strings) costs more than comparing them.
#: One tuple, replaced whole: threads of one process (runserver, gthread) never pair one read's bytes
#: with another's state.
_state_read = (None, None)


def cache_values(keys, state_first=False):
    """The values of ``keys`` in the default cache, in one round trip; None for a missing one.

    On Redis, one MGET (see ``_mget``). The keys are the newsroom's own (ASCII, no spaces): they are
    not put through the cache's memcached-compatibility check, which only warns. With ``state_first``,
    the first key is the public state's: while Redis returns the same bytes for it, the object read
    from them last time is returned."""
    global _state_read
    backend = caches["default"]
    client = getattr(backend, "_cache", None)
    if client is None or not hasattr(client, "_get_connection_pool"):
        found = backend.get_many(keys)
        return [found.get(key) for key in keys]
    values = _mget(client, [backend.make_key(key) for key in keys])
    loads = client._serializer.loads
    if not state_first:
        return [None if value is None else loads(value) for value in values]
    first = values[0]
    known = _state_read
    if first is not None and first == known[0]:
        state = known[1]
    else:
        state = None if first is None else loads(first)
        _state_read = (first, state)
    return [state, *(None if value is None else loads(value) for value in values[1:])]


def _mget(client, keys):
    """MGET on a connection this process keeps for it, beside redis-py's client rather than through it.

    Django's cache makes a new ``redis.Redis`` object per call, and redis-py's command path (taking a
    connection from the pool and giving it back, its retry wrapper, its observability hooks) cost
    more than the round trip itself: 151 against 61 µs for the same MGET (docs/scale.md). A connection
    that fails is closed (redis-py closes it on any error, so no reply is ever left unread for the next
    request to take for its own) and the command goes through the client, which retries as usual."""
    pid = os.getpid()
    held = _redis.get(id(client))
    if held is None or held[0] != pid:  # first use, or a forked child: never share a parent's socket
        held = _redis[id(client)] = (pid, client._get_connection_pool(write=False).make_connection())
    connection = held[1]
    try:
        connection.send_command("MGET", *keys)
        return connection.read_response()
    except (redis.ConnectionError, redis.TimeoutError):
        connection.disconnect()
        return client._client(connection_pool=client._get_connection_pool(write=False)).mget(keys)
    except BaseException:
        connection.disconnect()
        raise
