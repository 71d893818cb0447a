"""REMAP's views inside Jupyter notebooks."""
