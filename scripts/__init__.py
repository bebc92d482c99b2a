"""Developer scripts; a package only so that `python -m scripts.gen` and the tests can import the generators."""
