"""The one exception for a block that did not behave as its page says (any runner may raise it)."""


class Failure(Exception):
    """The block did not behave as the page says; the message names page:line."""
