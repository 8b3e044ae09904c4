#!/bin/sh
# Doxygen input filter for the C++ sources (docs/Doxyfile, FILTER_PATTERNS):
#   sh docs/src-filter.sh FILE > filtered
#
# The notes quote code between snippet markers, `//! [handleEvent]` ... `//! [handleEvent]`.
# `//!` also opens a Doxygen comment, so without this filter the marker text "[handleEvent]"
# would be glued onto the documentation of the next (or, inside a body, the enclosing) member,
# and, worse, would count as documentation for a member that has none. A line holding only a
# marker is emptied, so line numbers in warnings stay those of the file. The source pages of
# the HTML (FILTER_SOURCE_FILES=NO) still show the file as it is.
exec sed -E 's@^[[:space:]]*//![[:space:]]*\[[^]]*\][[:space:]]*$@@' "$1"
