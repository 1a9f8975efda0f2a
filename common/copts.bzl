"""Compiler options shared by every Skiff target."""
SKIFF_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
    "-Wno-missing-field-initializers",
    "-fstack-protector-strong",
]
