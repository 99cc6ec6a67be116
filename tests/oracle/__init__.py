"""Differential tests of our generated parsers against the official Kaitai Struct compiler."""
