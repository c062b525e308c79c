"""The one exception type users see: a message that says what is wrong and how to fix it."""
import difflib


class ForecastError(Exception):
    """A problem with the user's input or environment, reported as one line (exit code 2)."""

    def __init__(self, message=""):
        # messages quote user text (a key, a date, a path) that may hold line breaks or
        # terminal escapes: keep the message one printable line whatever was typed
        super().__init__("".join(c if c.isprintable() else repr(c)[1:-1]
                                 for c in str(message)))


def did_you_mean(word, choices):
    """' Did you mean "x"?' for the closest choice, or a list of the valid ones."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    if close:
        return f' Did you mean "{close[0]}"?'
    return " Valid: " + ", ".join(sorted(map(str, choices))) + "."


def headline(e: BaseException) -> str:
    """The first line of an error's text, or its type's name when it has none: for a
    library's error quoted inside one of ours."""
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def one_line(e: BaseException) -> str:
    """An error as one line: a ForecastError's message, else ``Type: its first line`` (for
    code that is not ours: a plugin, a user's model, a Ray task, whose error it unwraps)."""
    cause = getattr(e, "cause", None)
    if isinstance(cause, BaseException) and cause is not e:
        return one_line(cause)
    text = str(e).strip().splitlines()
    text = text[0].strip() if text else ""
    if isinstance(e, ForecastError):
        return text or type(e).__name__
    return f"{type(e).__name__}: {text}" if text else type(e).__name__
