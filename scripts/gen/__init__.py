"""The repository's generators: `./dev gen` (python -m scripts.gen) writes every generated file.

The list of generated files and how each is made is scripts/gen/targets.py; this package's other modules
are the generators that do not belong to the product (the product's own, argo_mcp.docs and the operator's
crd and chartgen, are called from there). Nothing heavy is imported here, so the unit suite's stand-in can
import argo_swagger's naming rule alone.
"""
