"""gunicorn configuration of `guichet server` (`gunicorn -c python:guichet.gunicorn_conf`).

gunicorn writes its own `Server: gunicorn` line on every response, ahead of the
application's headers, and has no setting to change it (the maintainers'
position in benoitc/gunicorn#825: the version was removed in 20.1, the name
stays). A header set by the application would be sent in addition, not
instead. So each worker, once started, names the server `guichet` in the
module-level constant gunicorn reads when it builds each response: the
central server does not tell the Internet which HTTP server (and so which
published vulnerabilities) it runs.

Naming this module explicitly with `-c` also keeps gunicorn from loading a
stray `./gunicorn.conf.py` from whatever folder the operator starts in.
Module-level names that are gunicorn settings are read as settings.
Everything else is given on the command line by guichet/cli.py.
"""
from __future__ import annotations

import os

# gunicorn ≥ 25.1 opens a management socket (reload, scale, stop) at one per-user path,
# $XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl, shared by every server the
# account runs. Guichet does not use it: one control surface fewer, and two servers on
# one machine no longer take the socket from each other. Older versions ignore the name.
control_socket_disable = True


def hide_server_software() -> None:
    """Make gunicorn's `Server:` line say SERVER_HEADER (read per response)."""
    import gunicorn
    import gunicorn.http.wsgi

    # imported here, in the worker: guichet.web_security brings Flask, which the
    # master (it only forks and watches the workers) need not hold in memory
    from guichet.web_security import SERVER_HEADER

    gunicorn.SERVER = SERVER_HEADER
    gunicorn.http.wsgi.SERVER = SERVER_HEADER


def post_fork(server, worker) -> None:  # gunicorn server hook, runs in each new worker
    """Greenlets stop recording who spawned them and from which stack.

    gevent keeps, for every greenlet, the spawning greenlet, its stack (up to
    10 frames) and a tree-wide locals dict, only for `gevent.util`'s debugging
    dumps. A terminal's connection holds several greenlets for its whole life,
    so that record cost about 4 kB per held connection (about 90 MB for
    20,000 terminals). GEVENT_TRACK_GREENLET_TREE=1 in the environment keeps it.
    """
    if "GEVENT_TRACK_GREENLET_TREE" not in os.environ:
        import gevent

        gevent.config.track_greenlet_tree = False


def post_worker_init(worker) -> None:  # gunicorn server hook, runs in each worker
    hide_server_software()


def child_exit(server, worker) -> None:  # gunicorn server hook, runs in the master
    """A worker ended: with PROMETHEUS_MULTIPROC_DIR set, drop its live gauges
    (connected terminals, watch owner…) from the sums /metrics serves; its
    counters stay, so totals do not go backwards (server/web/metrics.py)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:  # gunicorn server hook, runs in the master as it stops
    """Remove the metrics folder `guichet server` made for this start (and only that)."""
    folder = os.environ.get("GUICHET_OWN_METRICS_DIR")
    if folder and folder == os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
