"""Who is asking: the client's address, behind the proxies the operator says are in front of gunicorn."""
from django.conf import settings


def client_ip(request):
    """
    The address of the client that reached our outermost proxy. With ``NEWSROOM_PROXIES`` = N
    (default 0: gunicorn is reached directly), the Nth address from the right of
    X-Forwarded-For: each of our proxies appends the address it was reached from, so the
    entries further left are whatever the client chose to send and are never believed.
    """
    count = settings.NEWSROOM_PROXIES
    remote = request.META.get("REMOTE_ADDR", "")
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    return hops[-count] if len(hops) >= count else remote
