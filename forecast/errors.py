"""The one exception type users see: a message that says what is wrong and how to fix it."""
import difflib


class ForecastError(Exception):
    """A problem with the user's input or environment, reported as one line (exit code 2)."""


def did_you_mean(word, choices):
    """' Did you mean "x"?' for the closest choice, or a list of the valid ones."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    if close:
        return f' Did you mean "{close[0]}"?'
    return " Valid: " + ", ".join(sorted(map(str, choices))) + "."
