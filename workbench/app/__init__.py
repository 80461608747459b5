"""The Streamlit review app: a thin shell over the library (run with `python -m workbench ui`)."""
