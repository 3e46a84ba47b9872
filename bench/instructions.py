"""
N requests of one path through a Django project's WSGI application, in process, after 50 to warm up:
run it under callgrind twice (N=0 and N=1000) and the difference of the instruction counts, divided
by N, is what one request costs, the same on a quiet or a loaded machine. Django only: it runs the
Wagtail peer too (its own virtualenv and DJANGO_SETTINGS_MODULE).

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python -m bench.instructions 1000 /healthz
    # "Collected : <instructions>"; the same with 0, then (first − second) / 1000
"""
import io
import sys


def main():
    count, path = int(sys.argv[1]), sys.argv[2]
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    statuses = []
    for _ in range(count + 50):
        # What wrk sends: a Host the project allows, no cookie.
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "18000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr,
            "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
            "HTTP_HOST": "127.0.0.1:18000", "HTTP_ACCEPT": "*/*",
        }
        body = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
        b"".join(body)
        body.close()
    print(statuses[-1], len(statuses), file=sys.stderr)


if __name__ == "__main__":
    main()
