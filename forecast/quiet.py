"""TensorFlow imported without its start-up chatter on stderr (``--debug`` keeps it)."""
import os
import sys


# Lines TensorFlow writes straight to the stderr file while it is imported, whatever
# TF_CPP_MIN_LOG_LEVEL says (its oneDNN notice comes twice, before its logging is set up)
_CHATTER = ("oneDNN custom operations are on", "before absl::InitializeLog() is called",
            "cpu_feature_guard.cc", "To enable the following instructions",
            "TF-TRT Warning", "Unable to register cu", "computation placer already registered",
            "I0000 00:00:")  # information only; warnings and errors are passed on


def _not_retracing(record) -> bool:
    # each network traces its own steps once (models.KerasForecaster._steps); TensorFlow
    # counts the traces of one function's code across networks, and after a few tiny runs
    # in one process (a notebook) calls them excessive retracing
    return "triggered tf.function retracing" not in record.getMessage()


def quiet_tensorflow():
    """Import TensorFlow, when something first imports it, with its start-up chatter cut
    from stderr; any other line it writes then is passed on."""
    import importlib.util
    import logging
    logging.getLogger("tensorflow").addFilter(_not_retracing)  # added once: same object

    class Finder:
        def find_spec(self, name, path=None, target=None):
            if name != "tensorflow":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            if spec is None or not hasattr(spec.loader, "exec_module"):
                return spec
            run = spec.loader.exec_module

            def exec_module(module):
                with _filtered_stderr():
                    run(module)
            spec.loader.exec_module = exec_module
            return spec

    if "tensorflow" not in sys.modules and not any(
            type(f).__name__ == "Finder" and f.__module__ == __name__ for f in sys.meta_path):
        sys.meta_path.insert(0, Finder())


class _filtered_stderr:
    """Send file descriptor 2 to a temporary file; on exit, pass on all but chatter."""

    def __enter__(self):
        import tempfile
        sys.stderr.flush()
        self.saved, self.tmp = os.dup(2), tempfile.TemporaryFile()
        os.dup2(self.tmp.fileno(), 2)

    def __exit__(self, *exc):
        sys.stderr.flush()
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.tmp.seek(0)
        lines = self.tmp.read().decode(errors="replace").splitlines(keepends=True)
        self.tmp.close()
        kept = "".join(line for line in lines if not any(c in line for c in _CHATTER))
        if kept:
            sys.stderr.write(kept)
            sys.stderr.flush()
