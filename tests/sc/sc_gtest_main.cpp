// DESCRIPTION: GoogleTest entry for SystemC tests: libsystemc owns main() and calls sc_main. ctest
// runs one test per process (gtest_discover_tests), because SystemC elaborates once per process.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <systemc>

int sc_main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
