// DESCRIPTION: placeholder, being written.
#include <gtest/gtest.h>

TEST(Pending, NotWrittenYet) { GTEST_SKIP() << "being written"; }
