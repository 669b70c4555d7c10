"""The one error family the front ends turn into 'bad input, exit 2'."""


class InputError(ValueError):
    """Input a person must fix: a symbol, a criterion, a source, a config file."""
