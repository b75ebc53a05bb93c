"""chapters."""
