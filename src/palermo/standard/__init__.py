"""IOM's Human Trafficking Case Data Standard (HTCDS 2.0) as code: fields, code lists, countries, JSON Schema."""

from .fields import Standard, code_for, load_standard
from .model import MULTI_SEPARATOR, Code, Field, FieldType

__all__ = ["MULTI_SEPARATOR", "Code", "Field", "FieldType", "Standard", "code_for", "load_standard"]
