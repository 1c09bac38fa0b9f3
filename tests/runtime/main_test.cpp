// Unit tests of runtime pieces, linked directly against the runtime sources
// (no preload, no running scheduler): the run queue, the timer heap, options
// parsing and the raw formatter.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
