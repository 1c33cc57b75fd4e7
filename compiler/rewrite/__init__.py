"""The bytecode-rewriting target (REWRITING.md): instrument an application module in place.

The package holds only what a rewritten module has and a monitor does not: the per-site layout
(``layout``: site blocks, frame slots, table shadows), the site environment (``site_env``: saved operands,
dynamic bound variables, bound functions), placement and templates (``inject``, ``templates``), the plan
and splice of function bodies (``plan``, ``splice``, ``bodies``, ``bodycache``), and the start and exit
sequence with the default report (``exit``).  What both targets share — instruction building, storage,
the lowering, what a program uses, the shared layout, the code outside sites — is in
:mod:`compiler.backend`; no module outside this package imports it except its drivers
(:mod:`compiler.api`, :mod:`compiler.build`, ``compiler.commands``; ``tests/test_target_boundaries.py``).

Entry points (everything else in the package is internal):

* :func:`compiler.rewrite.emit.instrument` ``(module, program, *, static_call=None, options=None,
  cache=None, libraries=None) -> Emitted`` — the whole backend after parsing: folds the script-level
  code, matches probes against the module (:func:`compiler.sites.matching.match`), emits and
  validates.  ``module`` is the decoded input (:func:`compiler.wasm.read_module`, not modified),
  ``program`` the checked script (:func:`compiler.lang.frontend.check_source`), ``static_call`` the
  ``@static``/static built-in callback (default: a fresh :class:`compiler.sites.static_calls.StaticCalls`),
  ``options`` any object with ``no_body``, ``no_pred``, ``no_report``, ``no_bundle`` (REWRITING.md §16),
  ``cache`` a :class:`compiler.rewrite.emit.FunctionCache` reused across calls (SHELL.md incremental
  re-instrumentation), ``libraries`` user library binaries by name (for ``memid`` memories and
  ``@static``; else read from their paths).
* :func:`compiler.rewrite.emit.emit` ``(module, program, matches, options=None, *, prelude=None,
  static_call=None, cache=None, libraries=None) -> Emitted`` — the same from existing matches (the shell
  re-matches only what changed).  Fold the script-level code first with
  :func:`compiler.rewrite.emit.fold_prelude` ``(program, static_call, module)`` when ``@static`` order
  matters (LANGUAGE.md §13.4: script level and shared initialisers before any site).

:class:`compiler.rewrite.emit.Emitted` carries ``wasm`` (validated bytes), ``layout`` (its ``report`` list
of :class:`compiler.report.rows.ReportVar`: name, kind, type, probe id, fid, fname, pc and location of
every report variable — what the shell reads live values through, REWRITING.md §17), ``warnings``
(diagnostics), ``timings`` (seconds per phase: match, layout, emit, encode, validate) and
``added_functions`` / :meth:`~compiler.rewrite.emit.Emitted.input_function` to map output function
indices back to the input's.  Errors: :class:`compiler.sites.matching.SiteError` (script errors at a
site, rendered like script diagnostics) and :class:`compiler.rewrite.emit.EmitError`.
"""
