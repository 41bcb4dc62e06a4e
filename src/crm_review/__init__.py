"""crm-review: rapid realist reviews kept as code."""

# The one place the version is written: hatchling reads it when building, `crm --version` at run time,
# and the release workflow refuses a tag that differs from it.
__version__ = "0.1.0"
