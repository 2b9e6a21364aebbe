"""Screenshots taken by the verification run, so that the guide's pictures cannot drift either.

A page declares a picture once, with the ``{screenshot}`` directive::

    ```{screenshot} https://localhost:18443/auth/login
    :expect: Sign In to MeshHook
    :viewport: 1280x800
    :tier: meshhook

    MeshHook's sign-in page.
    ```

* ``declaration``: the directive's argument and options, read the same way by the engine and Sphinx;
* ``capture``: Playwright driving Debian's Chromium takes the picture once the expected text is visible;
* ``runner``: the engine's runner for a screenshot block, and where its picture goes in the run's output.

The Sphinx side (``guidecheck.sphinx.screenshots``) embeds the picture of the last verification run.
"""
