"""The argo-mcp end-to-end test stack: a real kube-apiserver and a real Argo Workflows as local processes.

`python -m tests.e2e.stack build|up|down|status|env|token`; see tests/e2e/README.md.
"""
