# Varnish in front of Newsroom's gunicorn (Varnish 7, Debian's varnish and varnish-modules for xkey).
# See docs/operations.md, "A shared HTTP cache in front". What it does:
# - caches only what Django marks shareable: anonymous public pages (Cache-Control with s-maxage and a
#   Surrogate-Key naming what the page shows) and the hashed static files; everything else passes;
# - never caches a response that sets a cookie or is private, and never answers a visitor who has a
#   session (staff) from the cache;
# - purges by surrogate key when Newsroom sends "PURGE" with an "xkey-purge" header (space-separated
#   keys), from the addresses in the "purgers" ACL only.
vcl 4.1;

import xkey;

# gunicorn (GUNICORN_BIND). The test fixture (tests/test_varnish.py) replaces the port.
backend default {
    .host = "127.0.0.1";
    .port = "8000";
    .connect_timeout = 2s;
    .first_byte_timeout = 35s;
}

# Who may purge: the machines running Newsroom's web processes and task workers.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "xkey-purge header missing"));
        }
        set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged " + req.http.n-gone));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # Staff (a session) and a visitor with messages waiting always reach Django.
    if (req.http.Cookie ~ "(^|;\s*)(sessionid|messages)=") {
        return (pass);
    }
    if (req.http.Authorization) {
        return (pass);
    }
    # Anonymous: other cookies (csrftoken, analytics) change nothing on a public page.
    unset req.http.Cookie;
    return (hash);
}

sub vcl_backend_response {
    if (bereq.url ~ "^/static/" && beresp.http.Cache-Control ~ "immutable") {
        return (deliver);
    }
    if (beresp.http.Set-Cookie || beresp.http.Cache-Control ~ "(?i)private|no-store"
        || beresp.http.Cache-Control !~ "s-maxage" || !beresp.http.Surrogate-Key) {
        # Not shareable: remember that for a short while so requests don't queue behind each other.
        set beresp.uncacheable = true;
        set beresp.ttl = 10s;
        return (deliver);
    }
    # The TTL comes from s-maxage; a purge ends it early. The keys go to xkey's index.
    set beresp.http.xkey = beresp.http.Surrogate-Key;
    set beresp.grace = 0s;
    return (deliver);
}

sub vcl_deliver {
    # The keys are for this cache only.
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
