"""The ``remap`` command line (``remap --help``; every subcommand has ``--help``).

Exit status: 0 done; 1 the work failed (a store or session file that cannot be used,
a re-execution that does not match); 2 a usage error (bad arguments, a bind without
a token, a busy port); 130 interrupted by Ctrl-C before the work was done (what was
recorded is kept: run the command again to resume).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import threading
import time
import uuid
import webbrowser
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec

from nas_core.export.kinds import FORMATS

from .cli_data import add_data_options, data_spec, settings
from .cli_models import cmd_model_export, cmd_models, export_with_weights, import_archive
from .errors import BindError, CliError
from .paths import default_data_dir, store_path
from .security import check_bind, normalize_origin
from .summary import compare_runs, model_table, summary_lines

__all__ = ["main"]


def _out(line: str = "") -> None:
    print(line, flush=True)


def _err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# --- shared pieces -------------------------------------------------------------------


def _data_dir(args: argparse.Namespace) -> Path:
    path = Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"--data-dir {path}: cannot create it: {exc.strerror}", 2) from exc
    return path


def _open_store(data_dir: Path):
    from nas_core.events import EventStore, StoreError

    try:
        return EventStore(store_path(data_dir))
    except StoreError as exc:
        raise CliError(str(exc)) from exc


def _data_spec(args: argparse.Namespace):
    from nas_core.data import DataError

    try:
        return data_spec(args)
    except DataError as exc:
        raise CliError(f"--data {args.data}: {exc.message}", 2) from exc


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host.strip("[]"), port), family=family)
    except OSError as exc:
        raise CliError(
            f"cannot listen on {host}:{port}: {exc.strerror or 'the system refused'} "
            "(is another server running there? pick another with --port)",
            2,
        ) from exc
    # Accepted connections inherit this: without it a keep-alive response written in
    # two parts (headers, body) waits ~40 ms for the client's delayed ACK (Nagle).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _url(host: str, port: int, token: str | None, session: str | None = None) -> str:
    shown = f"[{host}]" if ":" in host else host
    query = []
    if session:
        query.append(f"session={session}")
    if token:
        query.append(f"token={token}")
    return f"http://{shown}:{port}/" + ("?" + "&".join(query) if query else "")


def _serve(
    app,
    host: str,
    port: int,
    *,
    token: str | None,
    session: str | None,
    open_browser: bool,
    log_level: str,
) -> None:
    """Run uvicorn on `app` until Ctrl-C or SIGTERM; print the URL once listening."""
    import uvicorn

    hub = app.state.hub
    sock = _listen(host, port)
    port = sock.getsockname()[1]
    url = _url(host, port, token, session)

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:  # no re-raise of the signal afterwards
            hub.closing = True  # ends the event streams, or shutdown would wait for them
            if self.should_exit and sig == signal.SIGINT:
                self.force_exit = True
            else:
                self.should_exit = True

        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            if self.started:
                _out(f"REMAP is running at {url}  (Ctrl-C to stop)")
                if open_browser:
                    threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()

    config = uvicorn.Config(
        app, log_level=log_level, access_log=False, timeout_graceful_shutdown=5, lifespan="off"
    )
    server = Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        hub.closing = True
        sock.close()


def _service(store, data_dir: Path, broker: str | None = None, processes: int = 2):
    from nas_core.service import SessionService

    options = {}
    if broker is not None:  # the watchdog's silence bound (tests make it short)
        silence = os.environ.get("REMAP_WATCHDOG_SILENCE_S", "").strip()
        if silence:
            try:
                options["silence_s"] = float(silence)
            except ValueError:
                raise CliError(
                    f"REMAP_WATCHDOG_SILENCE_S must be a number of seconds, got {silence!r}", 2
                ) from None
    try:
        return SessionService(
            store, data_root=data_dir, broker_url=broker, processes=processes, **options
        )
    except ValueError as exc:
        raise CliError(f"--broker: {exc}", 2) from exc


def _settings(args: argparse.Namespace):
    return settings(args)


def _worker_token(args: argparse.Namespace) -> str | None:
    """The token remote workers send weights with (scale-out): --worker-token, else
    REMAP_WORKER_TOKEN, else (with --broker) a new one, printed for the workers."""
    given = args.worker_token or os.environ.get("REMAP_WORKER_TOKEN") or None
    if given is None and args.broker is not None:
        import secrets

        given = secrets.token_urlsafe(24)
        _err(
            "remote workers send trained weights with: remap worker --broker URL "
            f"--server http://THIS-HOST:{args.port} --worker-token {given}"
        )
    return given


def _token(args: argparse.Namespace) -> str | None:
    return args.token or os.environ.get("REMAP_TOKEN") or None


# --- commands ------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    from .app import create_app
    from .progress import ProgressBar

    token = _token(args)
    check_bind(args.host, token)
    data_dir = _data_dir(args)
    spec = _data_spec(args)
    slug = "digits" if spec.kind == "digits" else Path(spec.path or "data").stem
    session = "demo-" + "".join(c if c.isalnum() or c in "-_." else "-" for c in slug)[:40]
    store = _open_store(data_dir)
    service = _service(store, data_dir, processes=args.processes)
    bar = None
    try:
        if store.session(session) is None:
            _err(f"creating the demo session {session} in {store.path}")
            from nas_core.errors import NasCoreError

            try:
                service.create_session("demo", spec, _settings(args), session=session)
            except NasCoreError as exc:
                raise CliError(str(exc)) from exc
        else:
            _err(f"resuming the demo session {session} from {store.path}")
        if not service.state(session).models:
            service.start(session, args.models, seed=args.seed)
        bar = ProgressBar(service, session, enabled=not args.no_progress)
        bar.watch()
        app = create_app(
            service, host=args.host, token=token, allow_origins=tuple(args.allow_origin)
        )
        _serve(
            app,
            args.host,
            args.port,
            token=token,
            session=session,
            open_browser=not args.no_open,
            log_level=args.log_level,
        )
    finally:
        if bar is not None:
            bar.close()
        service.close()
        store.close()
    _err("stopped; the session is kept (run the same command to resume)")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .app import create_app

    token = _token(args)
    check_bind(args.host, token)
    data_dir = _data_dir(args)
    store = _open_store(data_dir)
    service = _service(store, data_dir, args.broker, args.processes)
    try:
        # resume every session now, not at its next command: models a killed server
        # left "running" train again, and queued ones are handed out; a session whose
        # log cannot be restored is set aside, and the others are served
        for session, why in service.resume_all().items():
            _err(f"session {session} is set aside (its log cannot be restored): {why}")
        worker_token = _worker_token(args)
        app = create_app(
            service, host=args.host, token=token, allow_origins=tuple(args.allow_origin),
            worker_token=worker_token,
        )  # fmt: skip
        _serve(
            app,
            args.host,
            args.port,
            token=token,
            session=None,
            open_browser=False,
            log_level=args.log_level,
        )
    finally:
        service.close()
        store.close()
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from .cli_auto_search import set_median_rule, start_auto_search

    data_dir = _data_dir(args)
    spec = _data_spec(args)
    store = _open_store(data_dir)
    service = _service(store, data_dir, processes=args.processes)
    session = uuid.uuid4().hex[:12]
    started = time.monotonic()
    try:
        from nas_core.errors import NasCoreError

        try:
            service.create_session(args.name, spec, _settings(args), session=session)
            set_median_rule(service, session, args)
            if args.strategy:  # issue 21: an automated search proposes the models
                start_auto_search(service, session, args)
            else:
                service.start(session, args.models, seed=args.seed)
        except NasCoreError as exc:
            raise CliError(str(exc)) from exc
        _err(f"session {session}: training {args.models} models in {store.path}")
        state = _wait_with_progress(service, session, args.no_progress)
        for line in summary_lines(state, time.monotonic() - started):
            _out(line)
        _out(session)
    except KeyboardInterrupt:
        _err(f"interrupted: session {session} is kept; `remap serve` resumes its training")
        return 130
    finally:
        service.close()
        store.close()
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from nas_core.service import (
        TRAIN_QUEUE,
        RedisCancelFlags,
        Runtime,
        check_redis_url,
        declare_actors,
        make_broker,
        start_worker,
    )
    from nas_core.training import TrainerPool

    try:
        url = check_redis_url(args.broker)
    except ValueError as exc:
        raise CliError(f"--broker: {exc}", 2) from exc
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    pool = TrainerPool(args.processes)
    worker = None
    try:
        runner = _remote_weights(args, pool)
        broker = make_broker(url)
        runtime = Runtime(runner=runner, cancel=RedisCancelFlags.from_url(url))
        actors = declare_actors(broker, runtime)
        worker = start_worker(
            broker,
            {TRAIN_QUEUE},
            args.processes,
            prefetch=args.processes,
            on_broker_restart=actors.resume,
        )
        _err(f"worker {runtime.worker}: training from {url} with {args.processes} processes")
        stop.wait()
        _err("stopping: trainings in progress finish or go back on the queue")
        worker.stop(timeout_s=30)
    finally:
        pool.close()  # what still trains stops: recorded stopped, back on the queue
        if worker is not None:
            worker.finish(timeout_s=15)  # ... and says so before this process ends
    return 0


def _remote_weights(args: argparse.Namespace, pool):
    """The worker's runner: its trained weights go to the server (--server), kept
    meanwhile in a folder of its own (removed at exit), or none are kept."""
    import atexit
    import shutil
    import tempfile

    from nas_core.weights import RemoteWeights, WeightClient, WeightStore

    token = args.worker_token or os.environ.get("REMAP_WORKER_TOKEN") or None
    if args.server is None:
        _err("no --server: trained weights are not kept (remap serve prints how to send them)")
        return RemoteWeights(pool, None, None)
    if not args.server.startswith(("http://", "https://")):
        raise CliError(f"--server must be http://host:port, not {args.server!r}", 2)
    if token is None:
        raise CliError("--server needs --worker-token (or REMAP_WORKER_TOKEN)", 2)
    cache = tempfile.mkdtemp(prefix="remap-worker-weights-")
    atexit.register(shutil.rmtree, cache, True)
    return RemoteWeights(pool, WeightStore(cache), WeightClient(args.server, token))


def cmd_sessions(args: argparse.Namespace) -> int:
    store = _open_store(_data_dir(args))
    try:
        infos = store.sessions()
    finally:
        store.close()
    if args.json:
        _out(msgspec.json.encode(infos).decode())
        return 0
    if not infos:
        _err("no sessions yet (remap demo, or remap new)")
        return 0
    _out(f"{'session':<14} {'events':>7}  {'created':<24} name")
    for s in infos:
        _out(f"{s.id:<14} {s.last_seq:>7}  {s.created_at:<24} {s.name}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from nas_core.events import StoreError, export_session

    data_dir = _data_dir(args)
    store = _open_store(data_dir)
    try:
        if args.with_weights:  # one archive: the session file and its weights
            n, bundled, missing = export_with_weights(store, args.session, args.output, data_dir)
            note = f" ({missing} recorded weights file(s) missing)" if missing else ""
            _err(f"bundled {bundled} weights file(s){note}")
        else:
            n = export_session(store, args.session, args.output)
    except StoreError as exc:
        raise CliError(f"{exc} (remap sessions lists them)") from exc
    except OSError as exc:
        reason = exc.strerror or "the system refused"
        raise CliError(f"{args.output}: cannot write: {reason}") from exc
    finally:
        store.close()
    _err(f"wrote {n} events of session {args.session} to {args.output}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from nas_core.events import SessionFileError, import_session
    from nas_core.weights import is_archive

    data_dir = _data_dir(args)
    store = _open_store(data_dir)
    try:  # the rules of the HTTP import: a session id, a data set inside the data folder
        if Path(args.file).is_file() and is_archive(args.file):  # remap export --with-weights
            result, n_weights = import_archive(store, args.file, data_dir)
            _err(f"stored {n_weights} weights file(s)")
        else:
            result = import_session(store, args.file, data_root=data_dir)
    except SessionFileError as exc:
        raise CliError(str(exc)) from exc
    finally:
        store.close()
    _err(
        f"session {result.session} ({result.name}): {result.added} new events, "
        f"last seq {result.last_seq}"
    )
    _out(result.session)
    return 0


def _read_file(path: str):
    from nas_core.events import SessionFileError, read_session_file

    try:
        return read_session_file(path)
    except SessionFileError as exc:
        raise CliError(str(exc)) from exc


def cmd_replay(args: argparse.Namespace) -> int:
    from nas_core.events import fold, state_at

    parsed = _read_file(args.file)
    last = parsed.header.last_seq
    if args.to is not None and args.to > last:
        raise CliError(f"--to {args.to}: the file ends at seq {last}", 2)
    state = fold(parsed.envelopes) if args.to is None else state_at(parsed.envelopes, args.to)
    if args.json:
        _out(msgspec.json.encode(state).decode())
        return 0
    _out(f"session {state.session} ({state.name}) at seq {state.last_seq} of {last}")
    for line in model_table(state):
        _out(line)
    return 0


def _wait_with_progress(service, session: str, no_progress: bool):
    """`service.wait_idle(session)` behind a progress bar; the session's final state."""
    from .progress import ProgressBar

    bar = ProgressBar(service, session, enabled=not no_progress)
    try:
        return service.wait_idle(session, on_progress=bar.update)
    finally:
        bar.close()


def cmd_reexecute(args: argparse.Namespace) -> int:
    from nas_core.errors import NasCoreError
    from nas_core.events import fold

    parsed = _read_file(args.file)
    original = fold(parsed.envelopes)
    data_dir = _data_dir(args)
    store = _open_store(data_dir)
    service = _service(store, data_dir, processes=args.processes)
    try:
        try:
            session = service.reexecute(parsed.envelopes)
        except NasCoreError as exc:
            raise CliError(str(exc)) from exc
        _err(f"re-executing {parsed.header.session} as session {session}")
        rerun = _wait_with_progress(service, session, args.no_progress)
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    finally:
        service.close()
        store.close()
    matches = compare_runs(original, rerun)
    _out(f"{'model':<8} {'architecture':<13} {'metrics':<10} original → re-executed")
    for m in matches:
        metrics = "n/a" if m.metrics is None else ("same" if m.metrics else "DIFFERENT")
        accs = f"{m.original_acc} → {m.rerun_acc}" if m.original_acc is not None else ""
        _out(f"{m.model:<8} {'same' if m.architecture else 'DIFFERENT':<13} {metrics:<10} {accs}")
    archs = sum(m.architecture for m in matches)
    compared = [m for m in matches if m.metrics is not None]
    same = sum(1 for m in compared if m.metrics)
    _out(
        f"architectures: {archs} of {len(matches)} match; metrics: {same} of {len(compared)} match"
    )
    _out(session)
    return 0 if archs == len(matches) and same == len(compared) else 1


# --- the parser ----------------------------------------------------------------------


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _origin(text: str) -> str:
    try:
        return normalize_origin(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535 (0: any free one), not {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="remap",
        description="REMAP: human-in-the-loop neural architecture search. "
        "`remap demo` starts everything on this machine.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def data_dir(q: argparse.ArgumentParser) -> None:
        q.add_argument(
            "--data-dir",
            metavar="DIR",
            default=None,
            help="where the event store (remap.db) and data sets live "
            f"(default: $REMAP_DATA_DIR or {default_data_dir({'HOME': '~'})})",
        )

    def training(q: argparse.ArgumentParser, models: int) -> None:
        q.add_argument(
            "--models", type=_positive, default=models, help=f"models to sample ({models})"
        )
        q.add_argument("--epochs", type=_positive, default=10, help="epochs per model (10)")
        q.add_argument(
            "--data",
            default="digits",
            metavar="DATA",
            help="'digits' (bundled), a .npz file, or a folder: CIFAR-10 python, "
            "MNIST-style IDX files, Quick, Draw! .npy files, or one subfolder of "
            "images per class (digits)",
        )
        q.add_argument(
            "--limit",
            type=_positive,
            default=None,
            metavar="N",
            help="use at most N training examples (quick runs)",
        )
        add_data_options(q)
        q.add_argument("--seed", type=int, default=0, help="the sampling seed (0)")
        q.add_argument("--processes", type=_positive, default=2, help="trainer processes (2)")
        q.add_argument("--no-progress", action="store_true", help="no progress bar")

    def server(q: argparse.ArgumentParser, port: int) -> None:
        q.add_argument(
            "--host",
            default="127.0.0.1",
            help="address to bind (127.0.0.1; any other needs --token)",
        )
        q.add_argument("--port", type=_port, default=port, help=f"port ({port}; 0: any free one)")
        q.add_argument(
            "--token", default=None, help="token every API request must carry (or REMAP_TOKEN)"
        )
        q.add_argument(
            "--allow-origin",
            action="append",
            type=_origin,
            default=[],
            metavar="ORIGIN",
            help="let the pages of ORIGIN (https://host:port) call the API (repeatable)",
        )
        q.add_argument(
            "--log-level",
            default="warning",
            choices=["critical", "error", "warning", "info", "debug"],
        )

    d = sub.add_parser(
        "demo",
        help="create or resume the demo session, train, serve",
        description="Create (or resume: its models are kept) the demo session, sample and train "
        "its models in the background with a progress bar, serve the UI.",
    )
    training(d, 100)
    server(d, 8000)
    data_dir(d)
    d.add_argument("--no-open", action="store_true", help="do not open a browser")
    d.set_defaults(run=cmd_demo)

    n = sub.add_parser(
        "new",
        help="create a session and train all its models (no server)",
        description="Create a session, sample, train and embed every model, "
        "print a summary; the last line of output is the session's id.",
    )
    training(n, 100)
    data_dir(n)
    from .cli_auto_search import add_auto_search_flags

    n.add_argument("--name", default="new session", help="the session's name")
    add_auto_search_flags(n)  # issue 21: --strategy, --budget-epochs
    n.set_defaults(run=cmd_new)

    s = sub.add_parser(
        "serve",
        help="serve the API and UI",
        description="Serve the HTTP API, live events and the UI.",
    )
    server(s, 8000)
    data_dir(s)
    s.add_argument(
        "--broker",
        default=None,
        metavar="URL",
        help="redis://… to train on `remap worker` processes (default: here)",
    )
    s.add_argument("--processes", type=_positive, default=2, help="trainer processes (2)")
    s.add_argument(
        "--worker-token",
        default=None,
        help="the token remote workers send trained weights with (or REMAP_WORKER_TOKEN; "
        "with --broker and none given, one is made and printed)",
    )
    s.set_defaults(run=cmd_serve)

    w = sub.add_parser(
        "worker",
        help="train models for a server (scale-out)",
        description="Consume the 'train' queue of a Redis broker.",
    )
    w.add_argument("--broker", required=True, metavar="URL", help="redis://host:port/db")
    w.add_argument("--processes", type=_positive, default=2, help="trainer processes (2)")
    w.add_argument(
        "--server",
        default=None,
        metavar="URL",
        help="http://host:port of remap serve, to send trained weights to (without it, "
        "none are kept)",
    )
    w.add_argument(
        "--worker-token",
        default=None,
        help="the server's worker token (or REMAP_WORKER_TOKEN; remap serve prints it)",
    )
    w.set_defaults(run=cmd_worker)

    ls = sub.add_parser("sessions", help="list the sessions in the store")
    data_dir(ls)
    ls.add_argument("--json", action="store_true", help="as JSON")
    ls.set_defaults(run=cmd_sessions)

    e = sub.add_parser("export", help="write a session to a .remap.jsonl file")
    e.add_argument("session", metavar="SESSION")
    e.add_argument("-o", "--output", required=True, metavar="FILE")
    e.add_argument(
        "--with-weights",
        action="store_true",
        help="write one .zip: the .remap.jsonl and every trained model's weights",
    )
    data_dir(e)
    e.set_defaults(run=cmd_export)

    i = sub.add_parser(
        "import", help="add a .remap.jsonl file's (or a --with-weights .zip's) session"
    )
    i.add_argument("file", metavar="FILE")
    data_dir(i)
    i.set_defaults(run=cmd_import)

    # trained models (remap_server.cli_models)
    ms = sub.add_parser("models", help="list a session's models (weights kept or not)")
    ms.add_argument("session", metavar="SESSION")
    ms.add_argument("--json", action="store_true", help="as JSON")
    data_dir(ms)
    ms.set_defaults(run=_with_store(cmd_models))
    mo = sub.add_parser("model", help="a trained model: export it")
    mo_sub = mo.add_subparsers(dest="action", required=True, metavar="ACTION")
    mx = mo_sub.add_parser(
        "export",
        help="write a trained model as state_dict, torchscript, onnx or python",
        description="state_dict: PATH (.pt) and a .json sidecar beside it (architecture, "
        "input, preprocessing, classes, metrics); torchscript: PATH; onnx: PATH, checked "
        "with onnxruntime on the test split; python: PATH (.py) and its .pt beside it.",
    )
    mx.add_argument("session", metavar="SESSION")
    mx.add_argument("model", metavar="MODEL")
    mx.add_argument("--format", required=True, choices=list(FORMATS), metavar="FMT",
                    help=f"one of {', '.join(FORMATS)}")  # fmt: skip
    mx.add_argument("-o", "--output", required=True, metavar="PATH")
    data_dir(mx)
    mx.set_defaults(run=_with_store(cmd_model_export))

    r = sub.add_parser("replay", help="the state of a session file at a seq (no server)")
    r.add_argument("file", metavar="FILE")
    r.add_argument("--to", type=int, default=None, metavar="SEQ", help="stop at SEQ (the end)")
    r.add_argument("--json", action="store_true", help="the whole state as JSON")
    r.set_defaults(run=cmd_replay)

    x = sub.add_parser(
        "reexecute",
        help="re-run a session file's decisions and compare",
        description="Re-execute a session file as a new session (same seeds, "
        "training again) and report which architectures and metrics match. "
        "Exit status 1 when any differ.",
    )
    x.add_argument("file", metavar="FILE")
    x.add_argument("--processes", type=_positive, default=2, help="trainer processes (2)")
    x.add_argument("--no-progress", action="store_true", help="no progress bar")
    data_dir(x)
    x.set_defaults(run=cmd_reexecute)

    from .cli_oneshot import add_oneshot  # issue 18

    helpers = {
        "data_dir": _data_dir, "data_spec": _data_spec, "open_store": _open_store,
        "err": _err, "out": _out, "service": _service, "settings": _settings,
    }  # fmt: skip
    add_oneshot(sub, training, data_dir, helpers)
    from .cli_import_search import add_import_search  # issue 20

    add_import_search(sub, data_dir, helpers)
    from .cli_figure import add_figure_commands  # issue 22: figure, table, report

    add_figure_commands(sub, data_dir, _with_store)
    from .cli_study import add_study  # issue 21: is the person worth it?

    add_study(sub, helpers)
    return p


def _with_store(command):
    """`command(args, data_dir, store, out, err)` run with the store open."""

    def run(args: argparse.Namespace) -> int:
        data_dir = _data_dir(args)
        store = _open_store(data_dir)
        try:
            return command(args, data_dir, store, _out, _err)
        finally:
            store.close()

    return run


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``remap``; returns the exit status."""
    args = _parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except BindError as exc:
        _err(f"remap: error: {exc}")
        return 2
    except CliError as exc:
        _err(f"remap: error: {exc}")
        return exc.status
    except KeyboardInterrupt:
        _err("remap: interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
