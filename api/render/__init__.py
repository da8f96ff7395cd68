"""Rendering: public response models turned into the representations clients receive."""
