"""The Argo Server REST client: auth, errors, streams."""
