"""The report (REWRITING.md §10–§17): row format, value formatting, and reading values out of a live
instance for ``whamm run`` after a trap and for the shell.
"""
