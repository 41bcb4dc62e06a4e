"""crm-review: rapid realist reviews kept as code."""

__version__ = "0.1.0"
