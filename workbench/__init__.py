"""workbench: offline translation and cross-lingual sentence alignment for analysts."""
__version__ = "0.1.0"
