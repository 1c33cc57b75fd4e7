"""One module per ``whamm`` sub-command; each defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int``.  ``compiler.cli`` owns parsing, error rendering and exit statuses."""
